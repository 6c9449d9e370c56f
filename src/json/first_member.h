// Reading one member of a large JSON object without parsing the rest.
//
// A snapshot frame of the exact dedup policy writes its small "dedup" member
// first and the client's whole state after it; recovery needs only the
// first. A SAX parse that stops once that member's value ends costs the size
// of the member, not of the frame.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "wal/json.h"
#include "wal/status.h"

namespace wal {

// The value of the first member of the object `text` holds, when that
// member's name is `name`; nothing when the first member has another name or
// the object is empty. kCorruption naming `where` when the text up to the end
// of that value is not JSON, or is not an object.
Result<std::optional<Json>> parse_first_member(std::string_view text, std::string_view name,
                                               const std::string& where);

}  // namespace wal
