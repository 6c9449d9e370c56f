// Which client ids are accepted. A client id names a folder under the base
// directory, so it must not be able to name anything else.
#pragma once

#include <cstddef>
#include <string_view>

#include "wal/status.h"

namespace wal {

// Longest accepted client id in bytes; file systems allow 255 per name.
inline constexpr size_t kMaxClientIdBytes = 200;

// OK for a non-empty UTF-8 string of at most kMaxClientIdBytes bytes with no
// '/', no control character (NUL included), and no leading '.' (that also
// rules out "." and ".."; names starting with '.' are wal's own).
Status validate_client_id(std::string_view client_id);

}  // namespace wal
