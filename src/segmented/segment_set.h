// The segments of the log that are open for reading, by number. The writer
// adds each new segment; a snapshot takes out the ones it retires.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "segmented/segment_allocator.h"

namespace wal::segmented {

class SegmentSet {
 public:
  void add(std::shared_ptr<Segment> segment) {
    std::lock_guard lock(mutex_);
    segments_[segment->number] = std::move(segment);
  }

  std::shared_ptr<Segment> get(uint64_t number) const {
    std::lock_guard lock(mutex_);
    auto it = segments_.find(number);
    return it == segments_.end() ? nullptr : it->second;
  }

  // Takes out and returns every segment numbered below `number`.
  std::vector<std::shared_ptr<Segment>> take_below(uint64_t number) {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<Segment>> taken;
    for (auto it = segments_.begin(); it != segments_.end() && it->first < number;) {
      taken.push_back(std::move(it->second));
      it = segments_.erase(it);
    }
    return taken;
  }

 private:
  mutable std::mutex mutex_;
  std::map<uint64_t, std::shared_ptr<Segment>> segments_;
};

}  // namespace wal::segmented
