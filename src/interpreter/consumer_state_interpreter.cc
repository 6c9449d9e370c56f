#include "wal/consumer_state_interpreter.h"

#include <string_view>
#include <utility>

namespace wal {
namespace {

constexpr std::string_view kContent = "content";
constexpr std::string_view kMetadata = "_metadata";
constexpr std::string_view kAsciiSpace = " \t\n\r\f\v";

// Appends `piece` to `text` with one separating space, as the original's
// merge does: no space is added when `text` is empty or already ends in one.
void append_content(std::string& text, const std::string& piece) {
  if (piece.empty()) return;
  if (!text.empty() && text.back() != ' ') text += ' ';
  text += piece;
}

// Python's str.strip() for the ASCII whitespace the original's merge trims,
// in place: the text is the whole merged content, often large.
std::string strip(std::string text) {
  const size_t first = text.find_first_not_of(kAsciiSpace);
  if (first == std::string::npos) return "";
  text.erase(text.find_last_not_of(kAsciiSpace) + 1);
  text.erase(0, first);
  return text;
}

}  // namespace

Status ConsumerStateInterpreter::check_data(const Json& data) const {
  if (data.is_object()) {
    if (data.contains(kMetadata)) {
      return Status::invalid_argument(
          "message data must not have a top-level \"_metadata\" key: the seed format reserves it");
    }
    if (auto content = data.find(kContent); content != data.end() && !content->is_string()) {
      return Status::invalid_argument("message \"content\" must be a string, not " +
                                      std::string(content->type_name()));
    }
  } else if (!data.is_string()) {
    return Status::invalid_argument(
        "the consumer interpreter takes a JSON object or string as message data, not " +
        std::string(data.type_name()));
  }
  return Status::ok();
}

Json ConsumerStateInterpreter::empty_state() const {
  Json state = Json::object();
  state[kContent] = "";
  return state;
}

Result<Json> ConsumerStateInterpreter::merge_data(Json state,
                                                  const std::vector<LogEntry>& entries) const {
  if (!state.is_object() || !state.contains(kContent) || !state[kContent].is_string()) {
    return Status::invalid_argument("consumer state must be an object with a \"content\" string");
  }
  std::string content = std::move(state[kContent].get_ref<std::string&>());
  for (const LogEntry& entry : entries) {
    if (entry.data.is_null()) continue;  // the original wrote null data and skipped it in merge
    if (entry.data.is_string()) {
      append_content(content, entry.data.get_ref<const std::string&>());
      continue;
    }
    if (!entry.data.is_object()) {
      return Status::invalid_argument("message " + std::to_string(entry.message_id) +
                                      " is neither a JSON object nor a string");
    }
    for (const auto& [key, value] : entry.data.items()) {
      if (key == kContent) {
        if (!value.is_string()) {
          return Status::invalid_argument("message " + std::to_string(entry.message_id) +
                                          " has a non-string \"content\"");
        }
        append_content(content, value.get_ref<const std::string&>());
      } else if (key != kMetadata) {
        state[key] = value;  // entries come in id order, so the latest id wins
      }
    }
  }
  state[kContent] = strip(std::move(content));
  return state;
}

Result<Json> ConsumerStateInterpreter::format_checkpoint(const Json& state) const {
  if (!state.is_object() || state.contains(kMetadata)) {
    return Status::invalid_argument("consumer state must be an object without \"_metadata\"");
  }
  return state;
}

Result<Json> ConsumerStateInterpreter::parse_checkpoint(const Json& body) const {
  if (!body.is_object()) return Status::invalid_argument("checkpoint is not a JSON object");
  Json state = body;
  auto content = state.find(kContent);
  if (content == state.end()) {
    state[kContent] = "";
  } else if (!content->is_string()) {
    return Status::invalid_argument("checkpoint \"content\" is not a string");
  }
  return state;
}

}  // namespace wal
