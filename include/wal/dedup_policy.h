// How persist decides that a message id was seen before.
//
// kHighWaterMark (the seed's rule, the default): an id at or below the
//   client's highest recorded id is a duplicate. Right when a client's ids
//   arrive in order; a message requeued behind a later one is skipped.
// kExact: an id is a duplicate only if that very id was recorded. Ids above
//   the client's low-water mark (below which every id is settled) are tracked
//   exactly, as runs of consecutive ids, so in-order traffic costs a few bytes
//   per client. The window bounds how far the tracked ids reach: an id that
//   falls below it is reported kTooOld, never silently acknowledged.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wal {

enum class DedupPolicy { kHighWaterMark, kExact };

// "high-water-mark" or "exact".
const char* dedup_policy_name(DedupPolicy policy);

struct DedupOptions {
  DedupPolicy policy = DedupPolicy::kHighWaterMark;
  // kExact: the first id a client's messages carry; ids below it are too old.
  uint64_t first_message_id = 1;
  // kExact: ids tracked above the low-water mark. When the highest recorded id
  // is further above it, the mark moves up and the gaps it passes are given up
  // (their ids become kTooOld).
  uint64_t window = 100'000;
  // kExact: open gaps per client; past it the oldest gap is given up.
  size_t max_gaps = 10'000;
};

}  // namespace wal
