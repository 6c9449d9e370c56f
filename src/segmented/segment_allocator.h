// Hands the log writer its next segment, ready to be overwritten: a file of
// full size whose every block is allocated and synced (zero-filled, or a
// retired segment or superseded snapshot recycled), so that a sync after a
// write never changes the file's size and costs one data flush. Segments are
// handed out in number order with no gaps; recovery relies on that.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "segmented/record_format.h"
#include "wal/status.h"
#include "wal/storage.h"

namespace wal::segmented {

struct Segment {
  uint64_t number = 0;
  std::string path;
  uint64_t capacity = 0;  // the file's size: frames never reach past it
  std::unique_ptr<PositionalFile> file;
};

// A file kept to be recycled as a segment: a retired segment, or a
// superseded snapshot at least a segment long.
struct FreeFile {
  uint64_t number = 0;  // the highest log number its frames may carry
  uint64_t bytes = 0;   // its size: the capacity it brings
  bool snapshot = false;
  // free-<number>.snap or free-<number>.log, in the base directory.
  std::string name() const;
};

// The largest superseded snapshot kept to be recycled as a segment: four
// segments, and never past the 1 GiB a frame may declare.
inline uint64_t max_recycled_snapshot_bytes(uint64_t segment_bytes) {
  return std::min<uint64_t>(4 * segment_bytes, kMaxPayload);
}

class SegmentAllocator {
 public:
  struct Config {
    std::string base_dir;
    uint64_t segment_bytes = 0;
    uint32_t keep_free = 0;   // segment-sized files kept beyond the bytes below; 0 keeps none
    bool background = false;  // prepare the next segment ahead on a thread
    std::function<void(const Status&)> warn;
  };

  // `next_number` is above every segment number ever used in the directory;
  // `free_files` are the free files present; `ready` are prepared segments
  // found unused at start-up, in order, numbered from `next_number` - ready.size().
  SegmentAllocator(Storage& storage, Config config, uint64_t next_number,
                   std::vector<FreeFile> free_files, std::vector<std::shared_ptr<Segment>> ready);
  ~SegmentAllocator();

  // The next segment in number order. Waits for the background preparation,
  // or prepares it here. A failure (e.g. kNoSpace) is not final: the number
  // is handed out by the next call.
  Result<std::shared_ptr<Segment>> take();

  // Free files are kept while their bytes stay within this: the log the next
  // snapshot waits for, which it then retires. So a log that grows between
  // snapshots reuses what the last one retired instead of zero-filling new
  // files. Beyond it, only `keep_free` files no longer than a segment.
  void set_keep_bytes(uint64_t bytes);

  // Removes the free files found at start-up that the rules above would not
  // have kept; returns their paths.
  Result<std::vector<std::string>> trim();

  // Takes a segment that a snapshot wholly covers out of the log: renamed to
  // a free file to be recycled, or removed when enough are kept. The caller
  // syncs the directory.
  Status retire_segment(const std::string& path, uint64_t number, uint64_t bytes);
  // The same for a snapshot a newer one superseded, which nothing reads any
  // more: its blocks are allocated and synced, as a segment's must be. Kept
  // only within the bytes above, and only if a segment could take it.
  Status retire_snapshot(const std::string& path, uint64_t number, uint64_t bytes);

 private:
  struct Claim {
    uint64_t number = 0;
    std::optional<FreeFile> free;
  };

  Claim claim_locked();
  void unclaim_locked(const Claim& claim);
  Result<std::shared_ptr<Segment>> prepare(Claim& claim);
  Result<std::shared_ptr<Segment>> recycle(Claim& claim);
  Result<std::shared_ptr<Segment>> zero_fill(uint64_t number);
  bool worth_keeping_locked(const FreeFile& file) const;
  Status retire(const std::string& path, FreeFile file);
  void run();

  Storage& storage_;
  const Config config_;

  std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t next_number_;
  std::deque<FreeFile> free_;
  uint64_t free_bytes_ = 0;
  uint64_t keep_bytes_ = 0;
  std::deque<std::shared_ptr<Segment>> ready_;
  bool preparing_ = false;  // a claim is being prepared; numbers go out in order
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace wal::segmented
