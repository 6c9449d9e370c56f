// The sticky failure of an instance: after a failed sync the kernel may have
// dropped the dirty pages and cleared the error, so a retry could report
// success for lost data. Once failed, every write is refused until reopened.
#pragma once

#include <atomic>
#include <mutex>

#include "wal/status.h"

namespace wal {

class FailureLatch {
 public:
  // OK, or the kFailed status every write returns.
  Status check() const {
    if (!failed_.load(std::memory_order_acquire)) return Status::ok();
    std::lock_guard lock(mutex_);
    return failure_;
  }

  // Latches `cause` (the first one wins) and returns the kFailed status.
  Status fail(const Status& cause) {
    std::lock_guard lock(mutex_);
    if (!failed_.load(std::memory_order_relaxed)) {
      failure_ =
          Status::failed(cause.to_string() + "; this instance refuses writes until it is reopened");
      failed_.store(true, std::memory_order_release);
    }
    return failure_;
  }

 private:
  mutable std::mutex mutex_;
  std::atomic<bool> failed_{false};
  Status failure_;
};

}  // namespace wal
