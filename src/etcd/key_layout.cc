#include "etcd/key_layout.h"

#include <cstdio>

namespace wal::etcd {
namespace {

constexpr char kMax[] = "max";
constexpr char kFloor[] = "floor";
constexpr char kLog[] = "log/";
constexpr char kCheckpoint[] = "ckpt";
constexpr char kChunks[] = "ckpt/";

bool needs_escape(unsigned char c) { return c == '%' || c == '/' || c < 0x21 || c == 0x7f; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // lower case is never produced, so it is not accepted either
}

}  // namespace

std::string pad_id(uint64_t id) {
  char text[kIdDigits + 1];
  std::snprintf(text, sizeof text, "%020llu", static_cast<unsigned long long>(id));
  return text;
}

std::optional<uint64_t> parse_padded_id(std::string_view text) {
  if (text.size() != kIdDigits) return std::nullopt;
  uint64_t id = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (id > (UINT64_MAX - digit) / 10) return std::nullopt;
    id = id * 10 + digit;
  }
  return id;
}

std::string escape_segment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (needs_escape(byte)) {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> unescape_segment(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte != '%') {
      if (needs_escape(byte)) return std::nullopt;
      out += text[i];
      continue;
    }
    if (text.size() - i < 3) return std::nullopt;
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    const auto decoded = static_cast<unsigned char>(high * 16 + low);
    if (!needs_escape(decoded)) return std::nullopt;  // escape_segment would not have escaped it
    out += static_cast<char>(decoded);
    i += 2;
  }
  return out;
}

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // etcd's "every key from `key` on"
}

std::string max_value(uint64_t id, std::string_view token) {
  std::string value = pad_id(id);
  if (!token.empty()) {
    value += ' ';
    value += token;
  }
  return value;
}

std::optional<MaxValue> parse_max_value(std::string_view value) {
  auto id = parse_padded_id(value.substr(0, kIdDigits));
  if (!id) return std::nullopt;
  MaxValue parsed;
  parsed.id = *id;
  if (value.size() > kIdDigits) {
    if (value[kIdDigits] != ' ') return std::nullopt;
    parsed.token = std::string(value.substr(kIdDigits + 1));
  }
  return parsed;
}

std::string floor_value(const FloorValue& floor) {
  return pad_id(floor.low_water_mark) + " " + pad_id(floor.recorded_from);
}

std::optional<FloorValue> parse_floor_value(std::string_view value) {
  if (value.size() != 2 * kIdDigits + 1 || value[kIdDigits] != ' ') return std::nullopt;
  auto mark = parse_padded_id(value.substr(0, kIdDigits));
  auto from = parse_padded_id(value.substr(kIdDigits + 1));
  if (!mark || !from) return std::nullopt;
  return FloorValue{*mark, *from};
}

KeyLayout::KeyLayout(std::string_view prefix, std::string_view service_name) {
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  service_prefix_ = std::string(prefix) + "/" + escape_segment(service_name) + "/";
}

std::string KeyLayout::client_prefix(std::string_view client_id) const {
  return service_prefix_ + escape_segment(client_id) + "/";
}

std::optional<std::string> KeyLayout::client_of_max_key(std::string_view key) const {
  if (!key.starts_with(service_prefix_)) return std::nullopt;
  key.remove_prefix(service_prefix_.size());
  constexpr std::string_view suffix = "/max";
  if (!key.ends_with(suffix) || key.size() == suffix.size()) return std::nullopt;
  key.remove_suffix(suffix.size());
  if (key.find('/') != std::string_view::npos) return std::nullopt;
  return unescape_segment(key);
}

std::string KeyLayout::max_key(std::string_view client_prefix) {
  return std::string(client_prefix) + kMax;
}

std::string KeyLayout::floor_key(std::string_view client_prefix) {
  return std::string(client_prefix) + kFloor;
}

std::string KeyLayout::log_prefix(std::string_view client_prefix) {
  return std::string(client_prefix) + kLog;
}

std::string KeyLayout::log_key(std::string_view client_prefix, uint64_t id) {
  return log_prefix(client_prefix) + pad_id(id);
}

std::string KeyLayout::checkpoint_key(std::string_view client_prefix) {
  return std::string(client_prefix) + kCheckpoint;
}

std::string KeyLayout::chunks_prefix(std::string_view client_prefix) {
  return std::string(client_prefix) + kChunks;
}

std::string KeyLayout::chunk_key(std::string_view client_prefix, std::string_view generation,
                                 uint32_t index) {
  char number[16];
  std::snprintf(number, sizeof number, "%06u", index);
  return chunks_prefix(client_prefix) + std::string(generation) + "/" + number;
}

}  // namespace wal::etcd
