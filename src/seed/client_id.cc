#include "wal/client_id.h"

#include <string>

namespace wal {
namespace {

// Length of the UTF-8 sequence starting at text[i], or 0 when it is not a
// well-formed, shortest-form, non-surrogate code point.
size_t utf8_sequence_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint32_t code_point = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < kSmallest[length] || code_point > 0x10FFFF) return 0;
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;
  // C1 control characters are as unprintable as C0 ones.
  if (code_point >= 0x80 && code_point <= 0x9F) return 0;
  return length;
}

}  // namespace

Status validate_client_id(std::string_view client_id) {
  const auto refuse = [](const std::string& why) {
    return Status::invalid_argument("client id " + why +
                                    "; use 1 to 200 bytes of printable UTF-8 without '/' that do "
                                    "not start with '.'");
  };
  if (client_id.empty()) return refuse("is empty");
  if (client_id.size() > kMaxClientIdBytes) {
    return refuse("is " + std::to_string(client_id.size()) + " bytes long");
  }
  if (client_id.front() == '.') return refuse("starts with '.'");
  for (size_t i = 0; i < client_id.size();) {
    const unsigned char c = static_cast<unsigned char>(client_id[i]);
    if (c == '/') return refuse("contains '/' at byte " + std::to_string(i));
    if (c < 0x20 || c == 0x7F) {
      return refuse("contains control character " + std::to_string(c) + " at byte " +
                    std::to_string(i));
    }
    const size_t length = utf8_sequence_length(client_id, i);
    if (length == 0) return refuse("is not valid UTF-8 at byte " + std::to_string(i));
    i += length;
  }
  return Status::ok();
}

}  // namespace wal
