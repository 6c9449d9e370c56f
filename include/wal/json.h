// The JSON value type used across wal, and the two text forms we produce.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "wal/status.h"

namespace wal {

// Objects keep their insertion order, as Python dicts do, so that what we
// write round-trips byte for byte with files written by the original service.
using Json = nlohmann::ordered_json;

// Serialises `value` exactly as Python's `json.dumps(value)` does with its
// defaults: separators ", " and ": ", non-ASCII and control characters as
// lower-case \uXXXX escapes (surrogate pairs above U+FFFF), floats in Python's
// repr form, one line. This is the text of every seed-layout file.
std::string dump_python_style(const Json& value);

// Parses one JSON document. Errors name the byte offset of the fault; `what`
// names the thing being parsed in the message (a path, "line 3 of stdin").
Result<Json> parse_json(std::string_view text, const std::string& what);

}  // namespace wal
