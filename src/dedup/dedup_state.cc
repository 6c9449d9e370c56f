#include "dedup/dedup_state.h"

#include <iterator>

namespace wal {

const char* dedup_policy_name(DedupPolicy policy) {
  return policy == DedupPolicy::kExact ? "exact" : "high-water-mark";
}

DedupState::DedupState(const DedupOptions& options) : options_(options) {
  if (options_.policy == DedupPolicy::kExact && options_.first_message_id > 0) {
    // Ids below the first one never come: settle them, as too old.
    low_water_mark_ = options_.first_message_id - 1;
    recorded_from_ = options_.first_message_id;
  }
}

DedupState::DedupState(const DedupOptions& options, const Saved& saved) : DedupState(options) {
  if (saved.low_water_mark && (!low_water_mark_ || *saved.low_water_mark > *low_water_mark_)) {
    low_water_mark_ = saved.low_water_mark;
    recorded_from_ = options_.policy == DedupPolicy::kExact ? saved.recorded_from : 0;
  }
  if (options_.policy != DedupPolicy::kExact) return;
  for (const auto& [first, last] : saved.runs) {
    if (low_water_mark_ && first <= *low_water_mark_) continue;  // below the first id
    runs_[first] = last;
  }
}

DedupState::Saved DedupState::save() const {
  return Saved{low_water_mark_, recorded_from_, {runs_.begin(), runs_.end()}};
}

bool DedupState::is_valid(const Saved& saved) {
  if (saved.low_water_mark && saved.recorded_from > 0 &&
      saved.recorded_from - 1 > *saved.low_water_mark) {
    return false;
  }
  std::optional<uint64_t> previous_last = saved.low_water_mark;
  for (const auto& [first, last] : saved.runs) {
    if (first > last) return false;
    // Runs are separated by a gap from the mark and from each other.
    if (previous_last && (first <= *previous_last || first - *previous_last < 2)) return false;
    if (!previous_last && first == 0) return false;  // would have been absorbed
    previous_last = last;
  }
  return true;
}

bool DedupState::arrives_late(uint64_t id) const {
  const std::optional<uint64_t> highest = max_recorded();
  return highest && id < *highest;
}

DedupState::Verdict DedupState::classify(uint64_t id) const {
  if (low_water_mark_ && id <= *low_water_mark_) {
    return id >= recorded_from_ ? Verdict::kDuplicate : Verdict::kTooOld;
  }
  auto run = runs_.upper_bound(id);  // the first run starting above id
  if (run != runs_.begin() && std::prev(run)->second >= id) return Verdict::kDuplicate;
  return Verdict::kNew;
}

std::optional<uint64_t> DedupState::max_recorded() const {
  if (!runs_.empty()) return std::prev(runs_.end())->second;
  // Under kExact a fresh client's mark sits below the first id, with nothing recorded.
  if (low_water_mark_ && *low_water_mark_ >= recorded_from_) return low_water_mark_;
  return std::nullopt;
}

void DedupState::record(uint64_t id) {
  if (options_.policy == DedupPolicy::kHighWaterMark) {
    low_water_mark_ = id;
    return;
  }
  // In-order traffic: the id right after the mark, nothing recorded above it.
  // What the general path below does then, without a node to allocate.
  if (runs_.empty() && low_water_mark_ && id == *low_water_mark_ + 1) {
    low_water_mark_ = id;
    return;
  }
  // Insert [id, id], merging with the runs that touch it.
  uint64_t first = id;
  uint64_t last = id;
  auto next = runs_.upper_bound(id);
  if (next != runs_.begin()) {
    auto before = std::prev(next);
    if (before->second + 1 == id) {
      first = before->first;
      runs_.erase(before);
    }
  }
  if (next != runs_.end() && id + 1 == next->first) {
    last = next->second;
    runs_.erase(next);
  }
  runs_[first] = last;
  absorb_adjacent_run();
  enforce_limits();
}

void DedupState::absorb_adjacent_run() {
  if (runs_.empty()) return;
  auto lowest = runs_.begin();
  const bool adjacent =
      low_water_mark_ ? lowest->first == *low_water_mark_ + 1 : lowest->first == 0;
  if (!adjacent) return;
  if (!low_water_mark_) recorded_from_ = 0;
  low_water_mark_ = lowest->second;
  runs_.erase(lowest);
}

void DedupState::settle_through(uint64_t id) {
  if (low_water_mark_ && id <= *low_water_mark_) return;
  // The recorded ids contiguous with `id` stay duplicates; below them, too old.
  auto run = runs_.upper_bound(id);
  const bool recorded = run != runs_.begin() && std::prev(run)->second >= id;
  recorded_from_ = recorded ? std::prev(run)->first : id + 1;
  while (!runs_.empty() && runs_.begin()->second <= id) runs_.erase(runs_.begin());
  if (!runs_.empty() && runs_.begin()->first <= id) {
    const uint64_t last = runs_.begin()->second;
    runs_.erase(runs_.begin());
    runs_[id + 1] = last;
  }
  low_water_mark_ = id;
  absorb_adjacent_run();
}

void DedupState::enforce_limits() {
  if (runs_.empty()) return;
  const uint64_t highest = std::prev(runs_.end())->second;
  const uint64_t mark = low_water_mark_.value_or(0);
  if (highest - mark > options_.window) settle_through(highest - options_.window);
  while (runs_.size() > options_.max_gaps) settle_through(runs_.begin()->second);
}

}  // namespace wal
