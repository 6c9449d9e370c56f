// File names of both layouts. Properties: parsing never crashes. Seed
// layout: the name we make for what was parsed parses back to the same kind
// and numbers; numbers are decimal digits only (leading zeros allowed: legacy
// string ids may have them). Segmented layout: a name is exactly the one made
// from what it parses to, numbered from 1 to 2^64-2.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "seed/file_names.h"
#include "segmented/file_names.h"

namespace {

void check_round_trip(const wal::seed::ParsedFileName& parsed, const std::string& made) {
  const wal::seed::ParsedFileName again = wal::seed::parse_file_name(made);
  FUZZ_CHECK(again.kind == parsed.kind);
  FUZZ_CHECK(again.timestamp == parsed.timestamp);
  FUZZ_CHECK(again.message_id == parsed.message_id);
}

void check_segmented(std::string_view name) {
  namespace seg = wal::segmented;
  const seg::ParsedFileName parsed = seg::parse_file_name(name);
  std::string made;
  switch (parsed.kind) {
    case seg::FileKind::kSegment:
      made = seg::segment_file_name(parsed.number);
      break;
    case seg::FileKind::kSnapshot:
      made = seg::snapshot_file_name(parsed.number);
      break;
    case seg::FileKind::kFree:
      made = seg::free_file_name(parsed.number);
      break;
    case seg::FileKind::kFreeSnapshot:
      made = seg::free_snapshot_file_name(parsed.number);
      break;
    case seg::FileKind::kTemp: {
      // The name of a file of ours, being prepared.
      FUZZ_CHECK(name.size() > 4 && name.substr(name.size() - 4) == ".tmp");
      const seg::ParsedFileName base = seg::parse_file_name(name.substr(0, name.size() - 4));
      FUZZ_CHECK(base.kind != seg::FileKind::kUnknown && base.kind != seg::FileKind::kTemp);
      FUZZ_CHECK(base.number == parsed.number);
      return;
    }
    case seg::FileKind::kUnknown:
      return;
  }
  FUZZ_CHECK(made == name);
  FUZZ_CHECK(parsed.number != 0 && parsed.number != UINT64_MAX);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view name(reinterpret_cast<const char*>(data), size);
  check_segmented(name);
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
