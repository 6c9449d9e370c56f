// The seed-layout file parser: any bytes under a final name. Properties:
// decoding never crashes; damage is kCorruption with the path; a whole record
// re-encodes to a file that decodes to the same body with a valid checksum.
#include <cstdint>
#include <iterator>
#include <string_view>

#include "fuzz_check.h"
#include "seed/client_scan.h"
#include "seed/record_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view contents(reinterpret_cast<const char*>(data), size);
  auto decoded = wal::seed::decode_file(contents, "fuzz/log_1_1.log");
  if (!decoded.is_ok()) {
    FUZZ_CHECK(decoded.status().code() == wal::Code::kCorruption);
    FUZZ_CHECK(decoded.status().to_string().find("fuzz/log_1_1.log") != std::string::npos);
    return 0;
  }
  if (decoded->state != wal::seed::DecodedFile::State::kCompleted) return 0;
  const wal::Json& body = decoded->body;
  FUZZ_CHECK(body.is_object());
  for (const char* key : {"message_id", "max_message_id"}) {
    auto id = wal::seed::recorded_message_id(body, key, "fuzz");
    if (!id.is_ok()) FUZZ_CHECK(id.status().code() == wal::Code::kCorruption);
  }
  auto metadata = body.find("_metadata");
  if (metadata == body.end() || !metadata->is_object() ||
      std::prev(body.end()).key() != "_metadata") {
    return 0;  // encode_completed_file needs "_metadata" as the last key
  }
  const std::string again = wal::seed::encode_completed_file(body);
  auto redecoded = wal::seed::decode_file(again, "fuzz");
  FUZZ_CHECK(redecoded.is_ok());
  FUZZ_CHECK(redecoded->checksummed);
  FUZZ_CHECK(redecoded->body == body);
  return 0;
}
