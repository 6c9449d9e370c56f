// Appends frames to the segments of the log, with group commit.
//
// append() frames records at the end of the log under a short lock and says
// where each one lies; commit() returns once they are written (and, under
// SyncPolicy::kAlways, synced). The first committer to find no write in
// progress becomes the leader: it writes everything appended so far, from
// every thread, with one write and one fdatasync per segment touched, while
// later committers queue up behind it (LevelDB's writer queue, RocksDB's
// group commit). So N concurrent persist calls cost about one sync, not N.
//
// Groups form better when the leader waits a moment for the writers the last
// group released: without that, N threads settle into two alternating
// cohorts of N/2 (each writes while the other syncs). The wait ends as soon
// as they have all appended, and is at most half a flush (at most 100 µs), so
// a lone writer never waits.
//
// When a record does not fit in the rest of a segment, a kSegmentEnd frame
// closes it and the record goes to the next segment; the closed segment is
// synced before anything is written to the next one, so that after any crash
// only the last segment can end without its end frame.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "segmented/payloads.h"
#include "segmented/record_format.h"
#include "segmented/segment_allocator.h"
#include "segmented/segment_set.h"
#include "util/failure_latch.h"
#include "wal/write_ahead_log.h"

namespace wal::segmented {

// Where a frame lies.
struct Location {
  uint64_t segment = 0;
  uint64_t offset = 0;
  uint32_t size = 0;
  Position position() const { return Position{segment, offset}; }
};

struct RecordToAppend {
  RecordType type = RecordType::kPersist;
  std::string_view payload;
};

class LogWriter {
 public:
  // Continues the log in `active` at `offset` (the end of its last frame).
  LogWriter(SegmentAllocator& allocator, SegmentSet& segments, FailureLatch& failure,
            SyncPolicy policy, uint64_t segment_bytes, std::shared_ptr<Segment> active,
            uint64_t offset);

  struct Appended {
    uint64_t ticket = 0;
    std::vector<Location> locations;  // one per record, in order
  };

  // Frames `records`, in order, at the end of the log. Fails without
  // appending anything when a record is too large for a segment or no next
  // segment can be had (kNoSpace is not sticky; other I/O errors are).
  Result<Appended> append(const std::vector<RecordToAppend>& records);

  // Waits until everything appended up to `ticket` is written and, under
  // kAlways, durable; the calling thread may do that I/O for everyone.
  Status commit(uint64_t ticket);

  // Makes everything written so far durable: the interval timer, snapshots
  // and close call it. A failure is sticky.
  Status sync();

  // Everything before it is written (durable under kAlways): where a snapshot
  // may cut the log.
  Position committed_position() const;

  // Frame bytes appended since the instance opened: the checkpoint cadence.
  uint64_t bytes_appended() const;

  // Largest payload a single record may have: a new segment holds it and an end frame.
  uint64_t max_payload() const { return segment_bytes_ - 3 * kHeaderSize; }

 private:
  struct Chunk {
    std::shared_ptr<Segment> segment;
    uint64_t offset = 0;
    std::string bytes;
    bool closes_segment = false;
  };

  bool fits(const Segment& segment, uint64_t offset, uint64_t frame) const;
  Status reserve_segments_locked(const std::vector<RecordToAppend>& records);
  std::string& chunk_for_locked(uint64_t offset);
  void rotate_locked();
  Status write_chunks(std::vector<Chunk>& chunks);

  SegmentAllocator& allocator_;
  SegmentSet& segments_;
  FailureLatch& failure_;
  const SyncPolicy policy_;
  const uint64_t segment_bytes_;

  mutable std::mutex mutex_;
  std::condition_variable flushed_;
  std::condition_variable appended_;  // wakes a leader gathering its group
  std::shared_ptr<Segment> active_;
  uint64_t tail_;                                   // where the next frame goes in active_
  std::deque<std::shared_ptr<Segment>> spare_;      // taken from the allocator, not yet used
  std::vector<Chunk> chunks_;                       // appended, not yet written
  std::vector<std::shared_ptr<Segment>> unsynced_;  // written, not yet synced
  uint64_t appended_ticket_ = 0;
  uint64_t committed_ticket_ = 0;
  Position committed_;
  bool flushing_ = false;  // a leader is gathering, writing or syncing
  bool gathering_ = false;
  int pending_appends_ = 0;     // append calls since the last group was taken
  int last_group_appends_ = 0;  // append calls the last group carried
  std::chrono::nanoseconds last_flush_{0};
  uint64_t bytes_appended_ = 0;
};

}  // namespace wal::segmented
