// dump_python_style (wal/json.h) into a string the caller already holds, so a
// frame's key and its JSON text share one buffer instead of being copied
// together afterwards, or in pieces, so that a large text is never whole.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "wal/json.h"

namespace wal {

// Appends dump_python_style(value) to `out`.
void append_python_style(std::string& out, const Json& value);

// Receives a text in order, a piece at a time.
using PieceWriter = std::function<void(std::string_view piece)>;

// Hands dump_python_style(value) to `write` in pieces of `piece_bytes` (the
// last one shorter), never holding more: a large checkpoint is written as it
// is serialised instead of being built whole in memory.
void write_python_style(const Json& value, size_t piece_bytes, const PieceWriter& write);

}  // namespace wal
