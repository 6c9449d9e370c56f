#include "wal/consumer_state_interpreter.h"

#include <string_view>
#include <utility>

namespace wal {
namespace {

constexpr std::string_view kContent = "content";
constexpr std::string_view kMetadata = "_metadata";

// Appends `piece` to `text` with one separating space, as the original's
// merge does: no space is added when `text` is empty or already ends in one.
void append_content(std::string& text, const std::string& piece) {
  if (piece.empty()) return;
  if (!text.empty() && text.back() != ' ') text += ' ';
  text += piece;
}

// The length of the character `text` starts with when Python's
// str.isspace() calls it whitespace, else 0: ASCII 0x09-0x0D, 0x1C-0x20, and
// in UTF-8 U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F,
// U+205F and U+3000.
size_t python_space_length(std::string_view text) {
  if (text.empty()) return 0;
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if ((lead >= 0x09 && lead <= 0x0D) || (lead >= 0x1C && lead <= 0x20)) return 1;
  if (lead == 0xC2 && text.size() >= 2) return byte(1) == 0x85 || byte(1) == 0xA0 ? 2 : 0;
  if (text.size() < 3) return 0;
  const unsigned second = byte(1);
  const unsigned third = byte(2);
  const bool space =
      (lead == 0xE1 && second == 0x9A && third == 0x80) ||
      (lead == 0xE2 && second == 0x80 &&
       (third <= 0x8A || third == 0xA8 || third == 0xA9 || third == 0xAF) && third >= 0x80) ||
      (lead == 0xE2 && second == 0x81 && third == 0x9F) ||
      (lead == 0xE3 && second == 0x80 && third == 0x80);
  return space ? 3 : 0;
}

// Python's str.strip() as the original's merge applies it, in place: the text
// is the whole merged content, often large. A lead byte of UTF-8 is never a
// continuation byte, so a whitespace character found at the end is whole.
std::string strip(std::string text) {
  size_t end = text.size();
  for (bool trimmed = true; trimmed && end > 0;) {
    trimmed = false;
    for (size_t length = 1; length <= 3 && length <= end; ++length) {
      if (python_space_length(std::string_view(text).substr(end - length, length)) == length) {
        end -= length;
        trimmed = true;
        break;
      }
    }
  }
  text.erase(end);
  size_t begin = 0;
  while (size_t length = python_space_length(std::string_view(text).substr(begin))) {
    begin += length;
  }
  text.erase(0, begin);
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
  return format_checkpoint_consuming(state);
}

Result<Json> ConsumerStateInterpreter::parse_checkpoint(const Json& body) const {
  return parse_checkpoint_consuming(body);
}

// The checkpoint is the state object itself, so both ways it moves.
Result<Json> ConsumerStateInterpreter::format_checkpoint_consuming(Json state) const {
  if (!state.is_object() || state.contains(kMetadata)) {
    return Status::invalid_argument("consumer state must be an object without \"_metadata\"");
  }
  return state;
}

Result<Json> ConsumerStateInterpreter::parse_checkpoint_consuming(Json body) const {
  if (!body.is_object()) return Status::invalid_argument("checkpoint is not a JSON object");
  Json state = std::move(body);
  auto content = state.find(kContent);
  if (content == state.end()) {
    state[kContent] = "";
  } else if (!content->is_string()) {
    return Status::invalid_argument("checkpoint \"content\" is not a string");
  }
  return state;
}

}  // namespace wal
