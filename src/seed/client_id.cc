#include "wal/client_id.h"

#include <string>

#include "util/utf8.h"

namespace wal {

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
    uint32_t code_point = 0;
    const size_t length =
        c < 0x80 ? 1
                 : utf8::decode_utf8(reinterpret_cast<const unsigned char*>(client_id.data()) + i,
                                     client_id.size() - i, &code_point);
    if (length == 0) return refuse("is not valid UTF-8 at byte " + std::to_string(i));
    if (code_point >= 0x80 && code_point <= 0x9F) {  // C1 controls are as unprintable as C0
      return refuse("contains a C1 control character at byte " + std::to_string(i));
    }
    i += length;
  }
  return Status::ok();
}

}  // namespace wal
