#include "etcd/group_commit.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <random>

namespace wal::etcd {

struct GroupCommit::Writer {
  const std::string* client_prefix;
  uint64_t id;
  const std::string* record;
  std::optional<Result<PersistOutcome>> result;
  bool done = false;
  std::condition_variable* cv;  // the caller's; one caller may queue several writers
  size_t* caller_pending;       // the caller's writers not yet done
};

namespace {

// Clients whose max is remembered for choosing the optimistic form. Past it
// the memory starts afresh: a forgotten client takes the full form until a
// round shows its max again (with more clients than this in rotation, most
// rounds take the full form).
constexpr size_t kKnownClientsLimit = size_t{1} << 16;

std::string random_token() {
  std::random_device device;
  const uint64_t value = (static_cast<uint64_t>(device()) << 32) ^ device();
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

// Under kExact, for an id at or below the client's max: kDuplicate when a
// log holds it, kDuplicate or kTooOld when the floor settled it, nothing when
// it may be new (it goes again as a late write).
std::optional<PersistOutcome> settled_by_reads(uint64_t id, const ClientWriteResult& result) {
  if (result.logged.contains(id)) return PersistOutcome::kDuplicate;
  if (result.floor && id <= result.floor->low_water_mark) {
    return id >= result.floor->recorded_from ? PersistOutcome::kDuplicate : PersistOutcome::kTooOld;
  }
  return std::nullopt;
}

}  // namespace

GroupCommit::GroupCommit(EtcdClient& client, TxnLimits limits, std::string batch_key,
                         std::string policy_key,
                         std::function<void(const std::string&, size_t)> on_written)
    : client_(client),
      limits_(limits),
      batch_key_(std::move(batch_key)),
      policy_key_(std::move(policy_key)),
      on_written_(std::move(on_written)),
      instance_token_(random_token()) {}

std::string GroupCommit::next_token() {
  char counter[17];
  std::snprintf(counter, sizeof counter, "%llx", static_cast<unsigned long long>(++token_counter_));
  return instance_token_ + "-" + counter;
}

Result<PersistOutcome> GroupCommit::persist(const std::string& client_prefix, uint64_t id,
                                            const std::string& record) {
  return std::move(persist_all({Message{&client_prefix, id, &record}}).front());
}

std::vector<Result<PersistOutcome>> GroupCommit::persist_all(const std::vector<Message>& messages) {
  std::condition_variable cv;
  size_t pending = messages.size();
  std::vector<Writer> mine(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    mine[i].client_prefix = messages[i].client_prefix;
    mine[i].id = messages[i].id;
    mine[i].record = messages[i].record;
    mine[i].cv = &cv;
    mine[i].caller_pending = &pending;
  }
  auto all_done = [&] {
    return std::all_of(mine.begin(), mine.end(), [](const Writer& w) { return w.done; });
  };

  std::unique_lock lock(mutex_);
  for (Writer& writer : mine) writers_.push_back(&writer);
  if (awaited_ > 0 && --awaited_ == 0 && gathering_ != nullptr) gathering_->notify_all();
  for (;;) {
    cv.wait(lock, [&] {
      return all_done() || (writers_.front()->cv == &cv && in_flight_ < limits_.max_in_flight);
    });
    if (all_done()) break;
    lead_batch(lock);
  }
  std::vector<Result<PersistOutcome>> results;
  for (Writer& writer : mine) results.push_back(std::move(*writer.result));
  return results;
}

void GroupCommit::lead_batch(std::unique_lock<std::mutex>& lock) {
  // At the front with a transaction slot free: lead a batch of the writers
  // queued behind, in order, once those the last batch released are back
  // (or a moment has passed). Taking them off the queue lets the next writer
  // lead another batch while this one is in flight.
  // Enough queued for a full transaction needs no more.
  if (awaited_ > 0 && writers_.size() < limits_.max_ops / 2) {
    std::condition_variable* mine = writers_.front()->cv;
    const auto wait =
        std::min<std::chrono::nanoseconds>(last_round_ / 4, std::chrono::milliseconds(1));
    gathering_ = mine;
    mine->wait_for(lock, wait, [&] { return awaited_ == 0; });
    gathering_ = nullptr;
    awaited_ = 0;
  }
  std::vector<Writer*> batch;
  PersistTxnBuilder builder(limits_);
  std::map<std::string_view, size_t> messages_per_client;
  for (Writer* writer : writers_) {
    size_t& messages = messages_per_client[*writer->client_prefix];
    const bool new_client = messages == 0;
    if (!batch.empty() && !builder.fits(new_client, messages + 1, writer->client_prefix->size(),
                                        writer->record->size())) {
      if (new_client) messages_per_client.erase(*writer->client_prefix);
      break;
    }
    builder.add(new_client, ++messages, writer->client_prefix->size(), writer->record->size());
    batch.push_back(writer);
  }
  writers_.erase(writers_.begin(), writers_.begin() + static_cast<std::ptrdiff_t>(batch.size()));
  ++in_flight_;
  if (!writers_.empty()) writers_.front()->cv->notify_all();
  lock.unlock();

  const auto started = std::chrono::steady_clock::now();
  commit(batch);
  const auto took = std::chrono::steady_clock::now() - started;

  lock.lock();
  last_round_ = took;
  // Callers with all their messages done return, and come back if in a loop.
  awaited_ = 0;
  --in_flight_;
  for (Writer* writer : batch) {
    writer->done = true;
    if (--*writer->caller_pending == 0) ++awaited_;
    writer->cv->notify_all();
  }
  if (!writers_.empty()) writers_.front()->cv->notify_all();
}

void GroupCommit::forget(const std::string& client_prefix) {
  note_max(client_prefix, std::nullopt);
}

void GroupCommit::note_max(const std::string& client_prefix, std::optional<uint64_t> max) {
  std::lock_guard lock(known_mutex_);
  if (!max) {
    known_max_.erase(client_prefix);
    return;
  }
  if (known_max_.size() >= kKnownClientsLimit && !known_max_.contains(client_prefix)) {
    known_max_.clear();
  }
  known_max_[client_prefix] = *max;
}

bool GroupCommit::may_go_optimistically(std::vector<ClientWrite>& writes) {
  if (writes.empty()) return false;
  {
    std::lock_guard lock(known_mutex_);
    for (ClientWrite& write : writes) {
      auto known = known_max_.find(write.client_prefix);
      if (known == known_max_.end()) return false;
      if (known->second < write.ids.front()) {
        write.expected_duplicate = false;
      } else if (known->second >= write.ids.back()) {
        write.expected_duplicate = true;
      } else {
        return false;  // some ids above, some at or below: the full form splits them
      }
    }
  }
  return optimistic_persist_ops(writes, limits_.policy, !policy_key_.empty()) <= limits_.max_ops;
}

Result<GroupCommit::RoundAnswer> GroupCommit::send_round(const std::vector<ClientWrite>& writes,
                                                         const std::vector<LateWrite>& late_writes,
                                                         bool optimistic) {
  if (optimistic) {
    WAL_ASSIGN_OR_RETURN(pb::TxnResponse response, client_.txn(build_optimistic_persist_txn(
                                                       writes, limits_.policy, policy_key_)));
    if (response.succeeded()) return RoundAnswer{std::move(response), true};
  }
  WAL_ASSIGN_OR_RETURN(
      pb::TxnResponse response,
      client_.txn(build_persist_txn(writes, late_writes, batch_key_, limits_.policy, policy_key_)));
  return RoundAnswer{std::move(response), false};
}

Result<std::vector<ClientWriteResult>> GroupCommit::recover_landed(
    const std::vector<ClientWrite>& writes, const Status& error) {
  auto reads = client_.txn(build_max_reads(writes));
  if (!reads.is_ok()) return error;  // nothing more to learn now
  auto landed = parse_max_reads(writes, *reads);
  if (!landed.is_ok()) return error;
  std::vector<ClientWriteResult> results(writes.size());
  for (size_t i = 0; i < writes.size(); ++i) {
    results[i].written = (*landed)[i];
    if (!results[i].written) results[i].error = error;
  }
  return results;
}

void GroupCommit::commit(const std::vector<Writer*>& batch) {
  // Per client: the distinct ids still undecided, and who waits for each.
  // Under kExact, `late` holds the ids found at or below the client's max:
  // each goes as a LateWrite.
  struct Pending {
    std::map<uint64_t, std::vector<Writer*>> by_id;
    std::map<uint64_t, std::vector<Writer*>> late;
    size_t written = 0;
  };
  std::map<std::string, Pending> clients;
  for (Writer* writer : batch) {
    clients[*writer->client_prefix].by_id[writer->id].push_back(writer);
  }
  // The first caller with an id gets the outcome; later copies in the batch
  // are duplicates of it, unless it failed, or too old as it is.
  auto decide = [](std::vector<Writer*>& waiting, PersistOutcome outcome) {
    waiting.front()->result.emplace(outcome);
    for (size_t i = 1; i < waiting.size(); ++i) {
      waiting[i]->result.emplace(outcome == PersistOutcome::kTooOld ? outcome
                                                                    : PersistOutcome::kDuplicate);
    }
  };
  auto fail = [](std::map<uint64_t, std::vector<Writer*>>& ids, const Status& error) {
    for (auto& [id, waiting] : ids) {
      for (Writer* writer : waiting) writer->result.emplace(error);
    }
    ids.clear();
  };

  // Each round writes every client's ids or learns its max; ids above that
  // max go again, and under kExact the ids at or below it go as late writes.
  // Rounds end when another writer no longer races us.
  constexpr int kMaxRounds = 64;
  for (int round = 0; !clients.empty(); ++round) {
    std::vector<ClientWrite> writes;
    size_t nested_ops = kLateWriteNestedOps;
    size_t bytes = 0;
    for (auto& [prefix, pending] : clients) {
      if (pending.by_id.empty()) continue;
      ClientWrite write;
      write.client_prefix = prefix;
      write.token = next_token();
      for (auto& [id, waiting] : pending.by_id) {
        write.ids.push_back(id);
        write.records.push_back(waiting.front()->record);
      }
      nested_ops = std::max(nested_ops, client_write_nested_ops(write.ids.size(), limits_.policy));
      bytes += estimated_bytes(write, limits_.policy);
      writes.push_back(std::move(write));
    }
    // Late writes take the operations and bytes left (PersistTxnBuilder::fits);
    // the rest wait for the next round. A round without client writes takes
    // at least one.
    const size_t top_level = writes.size() + 1;
    size_t late_ops =
        limits_.max_ops > nested_ops + top_level ? limits_.max_ops - nested_ops - top_level : 0;
    std::vector<LateWrite> late_writes;
    for (auto& [prefix, pending] : clients) {
      for (auto& [id, waiting] : pending.late) {
        LateWrite late{prefix, id, waiting.front()->record};
        const size_t late_bytes = estimated_bytes(late);
        const bool first = writes.empty() && late_writes.empty();
        if (!first && (late_ops == 0 || bytes + late_bytes > request_bytes_budget(limits_))) break;
        late_writes.push_back(std::move(late));
        late_ops = late_ops > 0 ? late_ops - 1 : 0;
        bytes += late_bytes;
      }
    }

    PersistTxnResults results;
    Status failure = Status::ok();
    Status late_failure = Status::ok();
    if (round >= kMaxRounds) {
      failure = Status::failed("persist: still racing another writer after " +
                               std::to_string(kMaxRounds) + " rounds");
    } else if (auto answer = send_round(writes, late_writes,
                                        late_writes.empty() && may_go_optimistically(writes));
               answer.is_ok()) {
      auto parsed = answer->optimistic
                        ? parse_optimistic_persist_txn(writes, limits_.policy, answer->response)
                        : parse_persist_txn(writes, late_writes, answer->response);
      if (parsed.is_ok()) {
        results = std::move(parsed).value();
      } else {
        failure = parsed.status();
      }
    } else {
      // A client write that landed all the same shows its token in max. A
      // late write that landed cannot be told from another writer's: it
      // fails, and a retry then reports it a duplicate.
      auto landed = recover_landed(writes, answer.status());
      if (landed.is_ok()) {
        results.writes = std::move(landed).value();
        late_failure = answer.status();
      } else {
        failure = landed.status();
      }
    }
    if (!failure.is_ok()) {
      for (auto& [prefix, pending] : clients) {
        fail(pending.by_id, failure);
        fail(pending.late, failure);
      }
      break;
    }
    for (size_t i = 0; i < writes.size(); ++i) {
      Pending& pending = clients[writes[i].client_prefix];
      const ClientWriteResult& result = results.writes[i];
      note_max(writes[i].client_prefix, result.written ? writes[i].ids.back() : result.stored_max);
      if (!result.written && !result.stored_max) {  // failed, and did not land
        fail(pending.by_id, result.error);
        continue;
      }
      for (auto it = pending.by_id.begin(); it != pending.by_id.end();) {
        if (!result.written && it->first > *result.stored_max) {
          ++it;  // goes again
        } else if (!result.written && limits_.policy == DedupPolicy::kExact) {
          if (auto settled = settled_by_reads(it->first, result)) {
            decide(it->second, *settled);
          } else {
            pending.late.insert(std::move(*it));  // may be new: goes again as a late write
          }
          it = pending.by_id.erase(it);
        } else {
          decide(it->second,
                 result.written ? PersistOutcome::kWritten : PersistOutcome::kDuplicate);
          if (result.written) ++pending.written;
          it = pending.by_id.erase(it);
        }
      }
    }
    for (size_t i = 0; i < late_writes.size(); ++i) {
      Pending& pending = clients[late_writes[i].client_prefix];
      auto it = pending.late.find(late_writes[i].id);
      const Status failed = !late_failure.is_ok() ? late_failure : results.late_writes[i].status();
      if (!failed.is_ok()) {
        for (Writer* writer : it->second) writer->result.emplace(failed);
      } else if (*results.late_writes[i] == LateWriteResult::kCleared) {
        pending.by_id.insert(std::move(*it));  // goes again as an ordinary write
      } else {
        const LateWriteResult result = *results.late_writes[i];
        decide(it->second, result == LateWriteResult::kWritten  ? PersistOutcome::kWritten
                           : result == LateWriteResult::kTooOld ? PersistOutcome::kTooOld
                                                                : PersistOutcome::kDuplicate);
        if (result == LateWriteResult::kWritten) ++pending.written;
      }
      pending.late.erase(it);
    }
    for (auto it = clients.begin(); it != clients.end();) {
      if (!it->second.by_id.empty() || !it->second.late.empty()) {
        ++it;
        continue;
      }
      if (it->second.written > 0) on_written_(it->first, it->second.written);
      it = clients.erase(it);
    }
  }
  // Clients that failed still report what an earlier round wrote.
  for (auto& [prefix, pending] : clients) {
    if (pending.written > 0) on_written_(prefix, pending.written);
  }
}

}  // namespace wal::etcd
