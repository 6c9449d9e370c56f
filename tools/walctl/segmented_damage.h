// The damage in a segmented-layout directory, found without changing a byte:
// start-up's recovery in the mode that reads past damage (kSkipDamaged), run
// on a DiscardingStorage. `walctl verify` reports it; `walctl repair` sets
// the damaged files aside and leaves the damage behind.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "segmented/recovery.h"
#include "util/paths.h"
#include "wal/json.h"
#include "wal/storage.h"
#include "wal/write_ahead_log.h"

namespace walctl {

struct SegmentedDamage {
  std::string path;                // the file recovery named
  std::string action;              // recovery's: "truncated", "skipped", "dropped" or "ignored"
  std::string reason;              // recovery's words
  std::optional<uint64_t> offset;  // where the damage starts, when recovery said
  bool snapshot = false;           // a snapshot file, not a segment
};

struct SegmentedSurvey {
  wal::RecoveryReport report;
  wal::segmented::Recovered recovered;
  std::vector<SegmentedDamage> damage;
  bool clean_up = false;  // start-up would remove or retire files (an interrupted write)
};

[[nodiscard]] wal::Result<SegmentedSurvey> survey_segmented_dir(wal::Storage& storage,
                                                                const std::string& base_dir,
                                                                wal::RecoveryMode mode);

using wal::base_name;

// What the damaged bytes of a file (numbered `number`) held, from `from` on,
// as far as frame headers still read: {"client", "message_id"} per persist
// record, {"client", "clear": true} per clear, {"client", "max_message_id"}
// per snapshot client. The walk stops where valid frames resume (segments
// only) and at the first header that does not read ("unreadable_from").
// The ids come from frames that fail their checksum: a guide, not a fact.
wal::Json records_in_damage(std::string_view contents, uint64_t number, uint64_t from,
                            bool snapshot);

}  // namespace walctl
