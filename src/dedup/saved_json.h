// A client's saved dedup state as JSON, the form checkpoints carry it in
// (docs/format.md): {"low_water_mark": N or null, "recorded_from": N,
// "runs": [[first, last], ...]}.
#pragma once

#include <string>

#include "dedup/dedup_state.h"
#include "wal/json.h"
#include "wal/status.h"

namespace wal {

Json dedup_to_json(const DedupState::Saved& saved);

// kCorruption naming `path` when `value` is not such an object or breaks the
// state's invariants.
Result<DedupState::Saved> dedup_from_json(const Json& value, const std::string& path);

}  // namespace wal
