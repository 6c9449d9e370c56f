// One client's dedup state, for either policy (wal/dedup_policy.h).
//
// The ids at or below the low-water mark are settled: those in
// [recorded_from, low_water_mark] were recorded and are duplicates, those
// below recorded_from were given up (or came before first_message_id) and are
// too old. Above the mark, the recorded ids are kept as runs of consecutive
// ids; a run that reaches down to the mark is absorbed into it.
//
// Under kHighWaterMark the mark is simply the highest recorded id and there
// are never any runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "wal/dedup_policy.h"

namespace wal {

class DedupState {
 public:
  enum class Verdict { kNew, kDuplicate, kTooOld };

  // What a checkpoint keeps of a client's state to restore it exactly.
  struct Saved {
    std::optional<uint64_t> low_water_mark;
    uint64_t recorded_from = 0;
    std::vector<std::pair<uint64_t, uint64_t>> runs;  // first and last id, ascending
    friend bool operator==(const Saved&, const Saved&) = default;
  };

  // A client with nothing recorded.
  explicit DedupState(const DedupOptions& options);
  // A client as a checkpoint saved it. Under kHighWaterMark only the mark
  // counts. A saved state that breaks the invariants (runs overlapping, out of
  // order, at or below the mark) is not checked here: see is_valid().
  DedupState(const DedupOptions& options, const Saved& saved);

  Saved save() const;
  // Whether `saved` could have come from save(): what a reader of a
  // checkpoint checks before trusting it.
  static bool is_valid(const Saved& saved);

  Verdict classify(uint64_t id) const;
  // Records an id that classify() called kNew.
  void record(uint64_t id);

  // Every id at or below it is settled; a checkpoint may fold the messages up
  // to it, since no other id at or below it will ever be written.
  std::optional<uint64_t> low_water_mark() const { return low_water_mark_; }
  uint64_t recorded_from() const { return recorded_from_; }
  // The highest recorded id; empty when nothing is recorded.
  std::optional<uint64_t> max_recorded() const;
  // Open gaps above the mark (runs of recorded ids above it).
  size_t gap_count() const { return runs_.size(); }
  // Whether recording `id` would put it before an id already recorded above
  // the mark or equal to it: the merged state must then be rebuilt in id order.
  bool arrives_late(uint64_t id) const;
  DedupPolicy policy() const { return options_.policy; }

 private:
  void absorb_adjacent_run();
  // Settles every id up to `id`: recorded ones stay duplicates only if they
  // are contiguous with `id`; the gaps become too old.
  void settle_through(uint64_t id);
  void enforce_limits();

  DedupOptions options_;
  std::optional<uint64_t> low_water_mark_;
  uint64_t recorded_from_ = 0;
  std::map<uint64_t, uint64_t> runs_;  // first id -> last id, all above the mark
};

}  // namespace wal
