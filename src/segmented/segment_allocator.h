// Hands the log writer its next segment, ready to be overwritten: a file of
// full size whose every block is allocated and synced (zero-filled, or a
// retired segment recycled), so that a sync after a write never changes the
// file's size and costs one data flush. Segments are handed out in number
// order with no gaps; recovery relies on that.
#pragma once

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

#include "wal/status.h"
#include "wal/storage.h"

namespace wal::segmented {

struct Segment {
  uint64_t number = 0;
  std::string path;
  uint64_t capacity = 0;  // the file's size: frames never reach past it
  std::unique_ptr<PositionalFile> file;
};

class SegmentAllocator {
 public:
  struct Config {
    std::string base_dir;
    uint64_t segment_bytes = 0;
    uint32_t max_free = 0;    // retired segments kept for recycling
    bool background = false;  // prepare the next segment ahead on a thread
    std::function<void(const Status&)> warn;
  };

  // `next_number` is above every segment number ever used in the directory;
  // `free_numbers` are the free files present; `ready` are prepared segments
  // found unused at start-up, in order, numbered from `next_number` - ready.size().
  SegmentAllocator(Storage& storage, Config config, uint64_t next_number,
                   std::vector<uint64_t> free_numbers, std::vector<std::shared_ptr<Segment>> ready);
  ~SegmentAllocator();

  // The next segment in number order. Waits for the background preparation,
  // or prepares it here. A failure (e.g. kNoSpace) is not final: the number
  // is handed out by the next call.
  Result<std::shared_ptr<Segment>> take();

  // Takes a segment that a snapshot wholly covers out of the log: renamed to
  // a free file to be recycled, or removed when enough are kept. The caller
  // syncs the directory.
  Status retire(const std::string& path, uint64_t number);

 private:
  struct Claim {
    uint64_t number = 0;
    std::optional<uint64_t> free_number;
  };

  Claim claim_locked();
  void unclaim_locked(const Claim& claim);
  Result<std::shared_ptr<Segment>> prepare(const Claim& claim);
  Result<std::shared_ptr<Segment>> recycle(uint64_t free_number, uint64_t number);
  Result<std::shared_ptr<Segment>> zero_fill(uint64_t number);
  void run();

  Storage& storage_;
  const Config config_;

  std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t next_number_;
  std::deque<uint64_t> free_;
  std::deque<std::shared_ptr<Segment>> ready_;
  bool preparing_ = false;  // a claim is being prepared; numbers go out in order
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace wal::segmented
