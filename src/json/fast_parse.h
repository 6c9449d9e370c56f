// parse_json's fast path: simdjson parses, and the result is rebuilt as a
// Json value. nlohmann's lexer copies strings a character at a time, and
// record JSON is mostly strings; this path reads the records of retrieve and
// of checkpoints several times faster.
#pragma once

#include <optional>
#include <string_view>

#include "wal/json.h"

namespace wal {

// The document as nlohmann's parser would give it, or nothing when simdjson
// refuses it or it holds what simdjson cannot give back exactly (an integer
// "-0", which simdjson does not tell from "0"): the caller then parses with
// nlohmann, for the value or the precise error.
std::optional<Json> parse_json_fast(std::string_view text);

}  // namespace wal
