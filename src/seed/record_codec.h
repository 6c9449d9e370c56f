// The contents of a seed-layout file: a status line, '\n', one line of JSON.
//
//   COMPLETED\n{"data": {...}, "_metadata": {"timestamp": "T", "message_id": 5, "crc32c":
//   "0a1b2c3d"}}
//
// We only ever write COMPLETED files (under a temporary name first), and add
// a "crc32c" field as the last key of "_metadata": the CRC-32C, as eight
// lower-case hex digits, of the whole file as it would read without that
// field. The original ignores unknown "_metadata" keys, so it still reads
// our files; we verify the checksum whenever it is present.
#pragma once

#include <string>
#include <string_view>

#include "json/python_style.h"
#include "wal/json.h"
#include "wal/status.h"

namespace wal::seed {

inline constexpr std::string_view kCompleted = "COMPLETED";
inline constexpr std::string_view kProcessing = "PROCESSING";

// Serialises `body` (an object whose last key is the "_metadata" object)
// into the bytes of a COMPLETED file carrying a checksum.
std::string encode_completed_file(const Json& body);

// Hands the bytes encode_completed_file(body) returns to `write` in pieces of
// about `piece_bytes`, never holding them all; returns how many there were.
size_t write_completed_file(const Json& body, size_t piece_bytes, const PieceWriter& write);

struct DecodedFile {
  enum class State {
    kCompleted,   // a whole record: `body` holds it
    kIncomplete,  // an interrupted write: PROCESSING, empty, or a cut status line
  };
  State state = State::kIncomplete;
  Json body;                 // "_metadata" without its "crc32c"
  bool checksummed = false;  // the file carried a crc32c and it matched
};

// Decodes a file's contents. Damage of any other kind is kCorruption naming
// `path` and the byte offset where it was found.
Result<DecodedFile> decode_file(std::string_view contents, const std::string& path);

}  // namespace wal::seed
