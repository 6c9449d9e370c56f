// JSON in, Python-style JSON out (the bytes of every seed-layout file).
// Properties: parsing never crashes; what parses dumps as one line of
// printable ASCII that parses back to the same value; parse_json's fast path
// (simdjson) accepts only what nlohmann accepts, and reads it identically.
#include <cstdint>
#include <optional>
#include <string_view>

#include "fuzz_check.h"
#include "identical_json.h"
#include "json/fast_parse.h"
#include "wal/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const wal::Json by_nlohmann = wal::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (const std::optional<wal::Json> fast = wal::parse_json_fast(text)) {
    FUZZ_CHECK(!by_nlohmann.is_discarded());
    FUZZ_CHECK(wal::json_difference(*fast, by_nlohmann).empty());
  }
  auto value = wal::parse_json(text, "fuzz input");
  if (!value.is_ok()) {
    FUZZ_CHECK(value.status().code() == wal::Code::kInvalidArgument);
    return 0;
  }
  const std::string dumped = wal::dump_python_style(*value);
  for (char c : dumped) FUZZ_CHECK(c >= 0x20 && c < 0x7f);
  auto again = wal::parse_json(dumped, "dumped");
  FUZZ_CHECK(again.is_ok());
  // NaN never parses, so equality is well defined; -0.0 == 0.0 is fine here.
  FUZZ_CHECK(*again == *value);
  FUZZ_CHECK(wal::dump_python_style(*again) == dumped);
  return 0;
}
