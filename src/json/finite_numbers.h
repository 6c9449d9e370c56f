// JSON text has no NaN or infinity. nlohmann::json holds them, and
// dump_python_style writes them as Python does (NaN, Infinity), but no JSON
// parser reads them back: a record holding one would be written, acknowledged
// and then unreadable. Writers refuse such data up front.
#pragma once

#include <string_view>

#include "wal/json.h"
#include "wal/status.h"

namespace wal {

// OK, or kInvalidArgument naming the first NaN or infinity in `value` by its
// JSON pointer: "<what> holds NaN at /readings/3, which JSON cannot represent".
Status check_finite_numbers(const Json& value, std::string_view what);

}  // namespace wal
