// dump_python_style (wal/json.h) into a string the caller already holds, so a
// frame's key and its JSON text share one buffer instead of being copied
// together afterwards.
#pragma once

#include <string>

#include "wal/json.h"

namespace wal {

// Appends dump_python_style(value) to `out`.
void append_python_style(std::string& out, const Json& value);

}  // namespace wal
