#include "seed/file_names.h"

#include <charconv>

namespace wal::seed {
namespace {

constexpr std::string_view kLogPrefix = "log_";
constexpr std::string_view kCheckpointPrefix = "checkpoint_";
constexpr std::string_view kExtension = ".log";

bool consume_prefix(std::string_view* text, std::string_view prefix) {
  if (text->substr(0, prefix.size()) != prefix) return false;
  text->remove_prefix(prefix.size());
  return true;
}

bool consume_suffix(std::string_view* text, std::string_view suffix) {
  if (text->size() < suffix.size() || text->substr(text->size() - suffix.size()) != suffix) {
    return false;
  }
  text->remove_suffix(suffix.size());
  return true;
}

}  // namespace

bool parse_u64(std::string_view text, uint64_t* value) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

std::string log_file_name(uint64_t timestamp, uint64_t message_id) {
  return std::string(kLogPrefix) + std::to_string(timestamp) + "_" + std::to_string(message_id) +
         std::string(kExtension);
}

std::string checkpoint_file_name(uint64_t timestamp) {
  return std::string(kCheckpointPrefix) + std::to_string(timestamp) + std::string(kExtension);
}

std::string temp_file_name(std::string_view final_name) {
  return std::string(final_name) + std::string(kTempSuffix);
}

ParsedFileName parse_file_name(std::string_view name) {
  ParsedFileName parsed;
  std::string_view rest = name;
  if (consume_suffix(&rest, kTempSuffix)) {
    if (parse_file_name(rest).kind != FileKind::kUnknown) parsed.kind = FileKind::kTemp;
    return parsed;
  }
  if (!consume_suffix(&rest, kExtension)) return parsed;
  if (consume_prefix(&rest, kCheckpointPrefix)) {
    if (parse_u64(rest, &parsed.timestamp)) parsed.kind = FileKind::kCheckpoint;
    return parsed;
  }
  if (consume_prefix(&rest, kLogPrefix)) {
    const size_t separator = rest.find('_');
    if (separator != std::string_view::npos &&
        parse_u64(rest.substr(0, separator), &parsed.timestamp) &&
        parse_u64(rest.substr(separator + 1), &parsed.message_id)) {
      parsed.kind = FileKind::kLog;
    }
  }
  return parsed;
}

}  // namespace wal::seed
