// Seed-layout file names. Properties: parsing never crashes; the name we make
// for what was parsed parses back to the same kind and numbers; numbers are
// decimal digits only (leading zeros allowed: legacy string ids may have them).
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "seed/file_names.h"

namespace {

void check_round_trip(const wal::seed::ParsedFileName& parsed, const std::string& made) {
  const wal::seed::ParsedFileName again = wal::seed::parse_file_name(made);
  FUZZ_CHECK(again.kind == parsed.kind);
  FUZZ_CHECK(again.timestamp == parsed.timestamp);
  FUZZ_CHECK(again.message_id == parsed.message_id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view name(reinterpret_cast<const char*>(data), size);
  const wal::seed::ParsedFileName parsed = wal::seed::parse_file_name(name);
  switch (parsed.kind) {
    case wal::seed::FileKind::kLog:
      check_round_trip(parsed, wal::seed::log_file_name(parsed.timestamp, parsed.message_id));
      break;
    case wal::seed::FileKind::kCheckpoint:
      check_round_trip(parsed, wal::seed::checkpoint_file_name(parsed.timestamp));
      break;
    case wal::seed::FileKind::kTemp:
      FUZZ_CHECK(name.size() > 4 && name.substr(name.size() - 4) == ".tmp");
      break;
    case wal::seed::FileKind::kUnknown:
      break;
  }
  uint64_t value = 0;
  if (wal::seed::parse_u64(name, &value)) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }));
    uint64_t again = 0;
    FUZZ_CHECK(wal::seed::parse_u64(std::to_string(value), &again) && again == value);
  }
  return 0;
}
