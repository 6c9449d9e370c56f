// walctl ingest's line parser. Properties: never crashes; refusals are
// kInvalidArgument; an accepted line, written back, parses to the same message.
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "ingest_line.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto message = walctl::parse_ingest_line(line);
  if (!message.is_ok()) {
    FUZZ_CHECK(message.status().code() == wal::Code::kInvalidArgument);
    return 0;
  }
  const wal::Json again = {
      {"client", message->client_id}, {"id", message->message_id}, {"data", message->data}};
  auto reparsed = walctl::parse_ingest_line(again.dump());
  FUZZ_CHECK(reparsed.is_ok());
  FUZZ_CHECK(reparsed->client_id == message->client_id);
  FUZZ_CHECK(reparsed->message_id == message->message_id);
  FUZZ_CHECK(reparsed->data == message->data);
  return 0;
}
