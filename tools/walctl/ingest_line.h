// One line of `walctl ingest` input: a JSON object
//
//   {"client": "<client id>", "id": <message id>, "data": <JSON>}
//
// The id is an unsigned 64-bit integer, or a string of decimal digits (queues
// often carry ids as strings). Other keys are refused, so a typo such as
// "Data" is reported instead of silently recording nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "wal/json.h"
#include "wal/status.h"

namespace walctl {

struct IngestMessage {
  std::string client_id;
  uint64_t message_id = 0;
  wal::Json data;
};

// Parses one line (without its newline). Errors are kInvalidArgument and say
// what is wrong with the line; they never name the line number, which the
// caller adds.
wal::Result<IngestMessage> parse_ingest_line(std::string_view line);

// Parses a message id given on the command line: decimal digits only.
wal::Result<uint64_t> parse_message_id(std::string_view text);

}  // namespace walctl
