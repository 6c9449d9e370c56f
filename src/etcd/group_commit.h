// Group commit: concurrent persists share etcd transactions.
//
// As in LevelDB's write path, callers queue up; the one at the front takes
// as many queued messages as fit one transaction (TxnLimits), sends them,
// and hands each caller its outcome. While a transaction is in flight the
// queue fills again, so batches grow with the load and a lone caller waits
// for nothing but its own round trip. Up to TxnLimits::max_in_flight
// batches are sent at once; etcd's Raft log then syncs them together.
//
// The callers a batch releases come straight back with their next message
// (a consumer's loop). A leader that found them not yet queued would send a
// batch without them, and closed-loop callers would settle into two
// alternating half-full batches. So a leader waits a moment for them: until
// as many callers have queued since the last batch ended as it released (a
// caller with messages still queued is not released), at most a quarter of
// its round trip and 1 ms, and not when a full transaction is queued. A lone
// caller is its own returning caller and never waits.
//
// A round whose clients were each last seen with a max below their ids, or
// at or above them (redeliveries), is sent first in the optimistic form
// (build_optimistic_persist_txn), which costs etcd less; when its compares
// fail, the full form decides the round.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "etcd/persist_txn.h"
#include "wal/data_persistence.h"
#include "wal/dedup_policy.h"

namespace wal::etcd {

class GroupCommit {
 public:
  // `on_written(client_prefix, count)` is told of each client's newly
  // written messages, outside the lock.
  // `batch_key` and `policy_key`: KeyLayout::batch_key() and
  // dedup_policy_key() of the service (build_persist_txn).
  GroupCommit(EtcdClient& client, TxnLimits limits, std::string batch_key, std::string policy_key,
              std::function<void(const std::string&, size_t)> on_written);

  // Records `record` as message `id` of the client whose keys start with
  // `client_prefix`, unless it is a duplicate (by limits.policy): under kHighWaterMark when
  // the client's max is at or above `id`, under kExact when a log holds
  // `id` or the client's floor settled it (then kDuplicate or kTooOld).
  Result<PersistOutcome> persist(const std::string& client_prefix, uint64_t id,
                                 const std::string& record);

  struct Message {
    const std::string* client_prefix;
    uint64_t id;
    const std::string* record;
  };
  // persist() for several messages at once, queued together and in order, so
  // they share transactions. A client's ids must be distinct, and under
  // kHighWaterMark ascend: the caller settles the others as duplicates.
  std::vector<Result<PersistOutcome>> persist_all(const std::vector<Message>& messages);

  // Forgets what was last seen of a client's max (it was cleared).
  void forget(const std::string& client_prefix);

 private:
  struct Writer;
  // Takes the writers at the front of the queue that fit one transaction,
  // and commits them with `lock` released.
  void lead_batch(std::unique_lock<std::mutex>& lock);
  void commit(const std::vector<Writer*>& batch);
  // After a failed request, which of its writes had landed all the same;
  // `error` for the others, or for all when that cannot be read either.
  Result<std::vector<ClientWriteResult>> recover_landed(const std::vector<ClientWrite>& writes,
                                                        const Status& error);
  std::string next_token();
  // Whether the round may go in the optimistic form: marks each write by
  // what this instance last saw of its client's max, below every id or at
  // or above every id (expected_duplicate). False when a client's max is
  // unknown or between its ids, or the form would not fit etcd's limit.
  bool may_go_optimistically(std::vector<ClientWrite>& writes);
  struct RoundAnswer {
    pb::TxnResponse response;
    bool optimistic;  // true: the optimistic form's answer (its compares held)
  };
  // Sends a round's request: the optimistic form first when `optimistic`,
  // then the full form unless the optimistic one's compares held.
  Result<RoundAnswer> send_round(const std::vector<ClientWrite>& writes,
                                 const std::vector<LateWrite>& late_writes, bool optimistic);
  // What a round showed of a client's max: its new value, or nullopt when unknown.
  void note_max(const std::string& client_prefix, std::optional<uint64_t> max);

  EtcdClient& client_;
  const TxnLimits limits_;
  const std::string batch_key_;
  const std::string policy_key_;
  const std::function<void(const std::string&, size_t)> on_written_;
  const std::string instance_token_;
  std::atomic<uint64_t> token_counter_{0};

  std::mutex mutex_;
  std::deque<Writer*> writers_;                   // queued, not yet in a batch
  uint32_t in_flight_ = 0;                        // batches being committed
  size_t awaited_ = 0;                            // callers the last batch released, not yet back
  std::chrono::nanoseconds last_round_{0};        // how long the last batch's commit took
  std::condition_variable* gathering_ = nullptr;  // a leader waiting for them

  // Each client's max as this instance last saw it, only to choose the
  // optimistic form: etcd's compares decide every write whatever it holds.
  std::mutex known_mutex_;
  std::unordered_map<std::string, uint64_t> known_max_;
};

}  // namespace wal::etcd
