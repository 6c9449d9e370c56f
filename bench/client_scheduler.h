// Hands the workload's calls to a pool of threads so that one client's calls
// run in order and never two at once, while any free thread takes the next
// call of any idle client (as a consumer with per-client queues would).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "workload.h"

namespace walbench {

class ClientScheduler {
 public:
  static constexpr size_t kNoMoreCalls = SIZE_MAX;

  explicit ClientScheduler(const Workload& workload)
      : queues_(workload.client_names.size()),
        next_(workload.client_names.size(), 0),
        busy_(workload.client_names.size(), false),
        remaining_(workload.messages.size()) {
    for (size_t i = 0; i < workload.messages.size(); ++i) {
      queues_[workload.messages[i].client].push_back(i);
    }
  }

  // The index of the next call to make, or kNoMoreCalls. The caller must
  // call done(client) once the call returns.
  size_t take() {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (remaining_ == 0) return kNoMoreCalls;
      for (size_t k = 0; k < queues_.size(); ++k) {
        const size_t client = (round_robin_ + k) % queues_.size();
        if (!busy_[client] && next_[client] < queues_[client].size()) {
          busy_[client] = true;
          round_robin_ = client + 1;
          --remaining_;
          return queues_[client][next_[client]++];
        }
      }
      idle_client_.wait(lock);
    }
  }

  void done(uint32_t client) {
    std::lock_guard lock(mutex_);
    busy_[client] = false;
    idle_client_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable idle_client_;
  std::vector<std::vector<size_t>> queues_;
  std::vector<size_t> next_;
  std::vector<bool> busy_;
  size_t remaining_;
  size_t round_robin_ = 0;
};

}  // namespace walbench
