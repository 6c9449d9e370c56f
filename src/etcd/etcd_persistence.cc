#include "wal/etcd_persistence.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>

#include "etcd/checkpoint.h"
#include "etcd/client_snapshot.h"
#include "etcd/etcd_client.h"
#include "etcd/group_commit.h"
#include "etcd/key_layout.h"
#include "etcd/record.h"
#include "wal/client_id.h"
#include "wal/write_ahead_log.h"

namespace wal {

using etcd::KeyLayout;
namespace pb = etcd::pb;

namespace {

std::string random_hex() {
  std::random_device device;
  char text[17];
  std::snprintf(text, sizeof text, "%08x%08x", device(), device());
  return text;
}

Status check_options(const StateInterpreter* interpreter, const EtcdOptions& options) {
  if (interpreter == nullptr) return Status::invalid_argument("no state interpreter given");
  if (options.service_name.empty()) return Status::invalid_argument("empty service name");
  if (options.checkpoint_threshold == 0) {
    return Status::invalid_argument("checkpoint_threshold must be at least 1");
  }
  if (options.max_txn_ops < 4) return Status::invalid_argument("max_txn_ops must be at least 4");
  // A late write nests two levels of three compares below the top level.
  if (options.dedup.policy == DedupPolicy::kExact && options.max_txn_ops < 8) {
    return Status::invalid_argument("max_txn_ops must be at least 8 under exact dedup");
  }
  if (options.dedup.window == 0 || options.dedup.max_gaps == 0) {
    return Status::invalid_argument("dedup.window and dedup.max_gaps must be at least 1");
  }
  if (options.max_concurrent_txns == 0) {
    return Status::invalid_argument("max_concurrent_txns must be at least 1");
  }
  // A persist carries its record twice, plus keys and framing.
  if (2 * options.max_record_bytes + (128u << 10) > options.max_request_bytes) {
    return Status::invalid_argument("max_record_bytes (" +
                                    std::to_string(options.max_record_bytes) +
                                    ") must be below half of max_request_bytes (" +
                                    std::to_string(options.max_request_bytes) + ") less 128 KiB");
  }
  return Status::ok();
}

// The policy the service records in its ".dedup" key: kHighWaterMark when none.
Result<DedupPolicy> read_dedup_policy(etcd::EtcdClient& client, const KeyLayout& layout) {
  const std::string key = layout.dedup_policy_key();
  pb::RangeRequest read;
  read.set_key(key);
  WAL_ASSIGN_OR_RETURN(pb::RangeResponse found, client.range(read));
  if (found.kvs_size() == 0) return DedupPolicy::kHighWaterMark;
  auto policy = parse_dedup_policy(found.kvs(0).value());
  if (!policy.is_ok()) {
    return Status::corruption("etcd key " + key + ": names no dedup policy this build knows");
  }
  return policy;
}

}  // namespace

class EtcdPersistence::Impl {
 public:
  Impl(std::shared_ptr<StateInterpreter> interpreter, EtcdOptions options,
       std::unique_ptr<etcd::EtcdClient> client)
      : interpreter_(std::move(interpreter)),
        options_(std::move(options)),
        layout_(options_.prefix, options_.service_name),
        client_(std::move(client)),
        writer_token_(random_hex()),
        group_commit_(*client_,
                      etcd::TxnLimits{options_.max_txn_ops, options_.max_request_bytes,
                                      options_.max_concurrent_txns, options_.dedup.policy},
                      layout_.batch_key(), layout_.dedup_policy_key(),
                      [this](const std::string& prefix, size_t count) {
                        note_logs(prefix, count, /*absolute=*/false);
                      }),
        maintenance_([this] { maintain(); }) {}

  ~Impl() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    maintenance_.join();
  }

  Result<PersistOutcome> persist(std::string_view client_id, const Json& data,
                                 uint64_t message_id) {
    WAL_RETURN_IF_ERROR(validate_client_id(client_id));
    WAL_ASSIGN_OR_RETURN(std::string record, etcd::encode_record(*interpreter_, data, message_id,
                                                                 options_.max_record_bytes));
    if (below_first_id(message_id)) return PersistOutcome::kTooOld;
    auto outcome = group_commit_.persist(layout_.client_prefix(client_id), message_id, record);
    if (!outcome.is_ok()) {
      return outcome.status().with_context("persist of message " + std::to_string(message_id) +
                                           " for client \"" + std::string(client_id) + "\"");
    }
    return outcome;
  }

  Result<std::vector<PersistOutcome>> persist_batch(const std::vector<PersistRequest>& batch) {
    // Everything is checked before anything is written.
    std::vector<std::string> prefixes(batch.size());
    std::vector<std::string> records(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      const std::string context = "message " + std::to_string(i);
      WAL_RETURN_IF_ERROR(validate_client_id(batch[i].client_id).with_context(context));
      auto record = etcd::encode_record(*interpreter_, batch[i].data, batch[i].message_id,
                                        options_.max_record_bytes);
      if (!record.is_ok()) return record.status().with_context(context);
      records[i] = std::move(record).value();
      prefixes[i] = layout_.client_prefix(batch[i].client_id);
    }
    // In order: an id at or below an earlier one of its client (under
    // kExact: equal to one) is a duplicate without asking etcd.
    std::vector<std::optional<PersistOutcome>> outcomes(batch.size());
    std::vector<etcd::GroupCommit::Message> messages;
    std::vector<size_t> sent;
    std::unordered_map<std::string, uint64_t> highest;
    std::map<std::pair<std::string_view, uint64_t>, size_t> first_copy;  // kExact: index
    std::vector<std::pair<size_t, size_t>> copies;  // kExact: (repeat, its first copy)
    const bool exact = options_.dedup.policy == DedupPolicy::kExact;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (below_first_id(batch[i].message_id)) {
        outcomes[i] = PersistOutcome::kTooOld;
        continue;
      }
      auto [it, first] = highest.try_emplace(prefixes[i], batch[i].message_id);
      bool repeated = !first && batch[i].message_id <= it->second;
      if (exact) {
        auto [copy, new_id] = first_copy.try_emplace({prefixes[i], batch[i].message_id}, i);
        repeated = !new_id;
        if (repeated) copies.emplace_back(i, copy->second);
      }
      if (repeated) {
        outcomes[i] = PersistOutcome::kDuplicate;
        continue;
      }
      it->second = std::max(it->second, batch[i].message_id);
      messages.push_back({&prefixes[i], batch[i].message_id, &records[i]});
      sent.push_back(i);
    }
    std::vector<Result<PersistOutcome>> results = group_commit_.persist_all(messages);
    for (size_t j = 0; j < results.size(); ++j) {
      if (!results[j].is_ok()) {
        return results[j].status().with_context("message " + std::to_string(sent[j]));
      }
      outcomes[sent[j]] = *results[j];
    }
    // A repeat of an id given up is too old as its first copy is.
    for (const auto& [repeat, first] : copies) {
      if (outcomes[first] == PersistOutcome::kTooOld) outcomes[repeat] = PersistOutcome::kTooOld;
    }
    std::vector<PersistOutcome> all;
    for (const auto& outcome : outcomes) all.push_back(*outcome);
    return all;
  }

  Result<Json> retrieve(std::string_view client_id) {
    WAL_RETURN_IF_ERROR(validate_client_id(client_id));
    const std::string prefix = layout_.client_prefix(client_id);
    WAL_ASSIGN_OR_RETURN(etcd::ClientSnapshot snapshot, etcd::read_client(*client_, prefix));
    WAL_ASSIGN_OR_RETURN(etcd::FoldedState folded,
                         etcd::fold_client(*interpreter_, prefix, snapshot));
    if (folded.max_message_id) note_logs(prefix, folded.folded_logs, /*absolute=*/true);
    return std::move(folded.state);
  }

  Status clear(std::string_view client_id) {
    WAL_RETURN_IF_ERROR(validate_client_id(client_id));
    const std::string prefix = layout_.client_prefix(client_id);
    pb::DeleteRangeRequest request;
    request.set_key(prefix);
    request.set_range_end(etcd::prefix_end(prefix));
    auto deleted = client_->delete_range(request);
    {
      std::lock_guard lock(mutex_);
      log_counts_.erase(prefix);
    }
    group_commit_.forget(prefix);
    return deleted.status();
  }

  Result<std::vector<ClientSummary>> clients() {
    // Every key of the service, names only, then the max values in batches,
    // all at one revision.
    const std::string& service = layout_.service_prefix();
    pb::RangeRequest list;
    list.set_key(service);
    list.set_range_end(etcd::prefix_end(service));
    list.set_keys_only(true);
    list.set_limit(4096);
    std::vector<std::pair<std::string, std::string>> found;  // client id, max key
    int64_t revision = 0;
    for (;;) {
      WAL_ASSIGN_OR_RETURN(pb::RangeResponse page, client_->range(list));
      if (revision == 0) {
        revision = page.header().revision();
        list.set_revision(revision);
      }
      for (const auto& kv : page.kvs()) {
        if (auto client = layout_.client_of_max_key(kv.key()))
          found.emplace_back(*client, kv.key());
      }
      if (!page.more() || page.kvs().empty()) break;
      list.set_key(page.kvs(page.kvs_size() - 1).key() + std::string(1, '\0'));
    }
    std::vector<ClientSummary> summaries;
    const size_t per_txn = options_.max_txn_ops;
    for (size_t first = 0; first < found.size(); first += per_txn) {
      pb::TxnRequest reads;
      const size_t last = std::min(found.size(), first + per_txn);
      for (size_t i = first; i < last; ++i) {
        pb::RangeRequest* read = reads.add_success()->mutable_request_range();
        read->set_key(found[i].second);
        read->set_revision(revision);
      }
      WAL_ASSIGN_OR_RETURN(pb::TxnResponse values, client_->txn(reads));
      for (size_t i = first; i < last; ++i) {
        const pb::RangeResponse& read =
            values.responses(static_cast<int>(i - first)).response_range();
        if (read.kvs_size() != 1) continue;
        auto max = etcd::parse_max_value(read.kvs(0).value());
        if (!max) return Status::corruption("etcd key " + found[i].second + ": not a 20-digit id");
        summaries.push_back(ClientSummary{found[i].first, max->id});
      }
    }
    std::sort(
        summaries.begin(), summaries.end(),
        [](const ClientSummary& a, const ClientSummary& b) { return a.client_id < b.client_id; });
    return summaries;
  }

  Status checkpoint(std::string_view client_id) {
    WAL_RETURN_IF_ERROR(validate_client_id(client_id));
    return checkpoint_prefix(layout_.client_prefix(client_id));
  }

  std::string import_key() const { return layout_.service_prefix() + ".import"; }

  Status begin_import(std::string_view source) {
    pb::RangeRequest marker;
    marker.set_key(import_key());
    WAL_ASSIGN_OR_RETURN(pb::RangeResponse found, client_->range(marker));
    if (found.kvs_size() == 0) {
      WAL_ASSIGN_OR_RETURN(std::vector<ClientSummary> present, clients());
      if (!present.empty()) {
        return Status::invalid_argument("the etcd service " + layout_.service_prefix() +
                                        " is not empty (client \"" + present.front().client_id +
                                        "\" is there): an import writes only into an empty one");
      }
    }
    // Everything of the service but the marker (and under kExact the policy
    // key) goes and the marker is put, in one transaction (etcd refuses a put
    // inside a range it deletes).
    const std::string marker_key = import_key();
    std::vector<std::string> kept = {marker_key};
    if (options_.dedup.policy == DedupPolicy::kExact) kept.push_back(layout_.dedup_policy_key());
    std::sort(kept.begin(), kept.end());
    pb::TxnRequest start;
    std::string from = layout_.service_prefix();
    for (const std::string& key : kept) {
      pb::DeleteRangeRequest* before = start.add_success()->mutable_request_delete_range();
      before->set_key(from);
      before->set_range_end(key);
      from = key + std::string(1, '\0');
    }
    pb::DeleteRangeRequest* after = start.add_success()->mutable_request_delete_range();
    after->set_key(from);
    after->set_range_end(etcd::prefix_end(layout_.service_prefix()));
    pb::PutRequest* put = start.add_success()->mutable_request_put();
    put->set_key(import_key());
    put->set_value(std::string(source));
    WAL_ASSIGN_OR_RETURN(pb::TxnResponse started, client_->txn(start));
    static_cast<void>(started);
    std::lock_guard lock(mutex_);
    log_counts_.clear();
    return Status::ok();
  }

  Status finish_import() {
    pb::DeleteRangeRequest remove;
    remove.set_key(import_key());
    return client_->delete_range(remove).status();
  }

  // kInvalidArgument when an unfinished import marks the service.
  Status check_no_import() {
    pb::RangeRequest marker;
    marker.set_key(import_key());
    auto read = client_->range(marker);
    if (!read.is_ok()) {
      // A client etcd refuses to read (no user, no permission) cannot read
      // a half import either: its calls fail on their own.
      return read.status().code() == Code::kIOError ? read.status() : Status::ok();
    }
    const pb::RangeResponse& found = *read;
    if (found.kvs_size() == 0) return Status::ok();
    return Status::invalid_argument("the etcd service " + layout_.service_prefix() +
                                    " holds an unfinished import (walctl convert from " +
                                    found.kvs(0).value() +
                                    "): run that convert again to complete it");
  }

  Status import_state(std::string_view client_id, const Json& state, uint64_t max_message_id) {
    WAL_RETURN_IF_ERROR(validate_client_id(client_id));
    const std::string prefix = layout_.client_prefix(client_id);
    auto imported = etcd::import_checkpoint(
        *client_, *interpreter_, options_.dedup, prefix, state, max_message_id,
        writer_token_ + "-" + std::to_string(++checkpoints_), options_.max_request_bytes);
    if (!imported.is_ok()) return imported.status().with_context("import of " + prefix);
    if (!*imported) {
      return Status::invalid_argument("client \"" + std::string(client_id) +
                                      "\" has messages recorded already: nothing imported");
    }
    return Status::ok();
  }

  Status compact() {
    WAL_ASSIGN_OR_RETURN(pb::StatusResponse status, client_->status());
    return compact_to(status.header().revision());
  }

  // Fails with kInvalidArgument when the service was written with the other
  // policy. Under kExact a service with no clients yet records the policy
  // first, so a service holding exact data always says so.
  Status check_dedup_policy() {
    const DedupPolicy wanted = options_.dedup.policy;
    auto read = read_dedup_policy(*client_, layout_);
    if (!read.is_ok() && wanted == DedupPolicy::kHighWaterMark &&
        read.status().code() != Code::kIOError && read.status().code() != Code::kCorruption) {
      return Status::ok();  // as in check_no_import: refused reads fail the calls on their own
    }
    WAL_ASSIGN_OR_RETURN(DedupPolicy stored, std::move(read));
    if (stored == DedupPolicy::kHighWaterMark && wanted == DedupPolicy::kExact) {
      WAL_ASSIGN_OR_RETURN(std::vector<ClientSummary> present, clients());
      if (present.empty()) {
        pb::TxnRequest record;
        pb::Compare* absent = record.add_compare();
        absent->set_key(layout_.dedup_policy_key());
        absent->set_target(pb::Compare::CREATE);
        absent->set_result(pb::Compare::EQUAL);
        absent->set_create_revision(0);
        pb::PutRequest* put = record.add_success()->mutable_request_put();
        put->set_key(layout_.dedup_policy_key());
        put->set_value(dedup_policy_name(DedupPolicy::kExact));
        WAL_ASSIGN_OR_RETURN(pb::TxnResponse recorded, client_->txn(record));
        if (recorded.succeeded()) return Status::ok();
        WAL_ASSIGN_OR_RETURN(stored,
                             read_dedup_policy(*client_, layout_));  // another instance was first
      }
    }
    if (stored == wanted) return Status::ok();
    return Status::invalid_argument(
        "the etcd service " + layout_.service_prefix() + " was written with the " +
        dedup_policy_name(stored) + " dedup policy but the options ask for " +
        dedup_policy_name(wanted) + "; open it with dedup policy " + dedup_policy_name(stored) +
        " (walctl --dedup " + dedup_policy_name(stored) + ")");
  }

 private:
  // Under kExact, ids below the first one are too old without asking etcd.
  bool below_first_id(uint64_t message_id) const {
    return options_.dedup.policy == DedupPolicy::kExact &&
           message_id < options_.dedup.first_message_id;
  }

  // Counts a client's logs (`absolute`: the count is known, else `count` more)
  // and queues a checkpoint once they reach the threshold.
  void note_logs(const std::string& prefix, uint64_t count, bool absolute) {
    std::lock_guard lock(mutex_);
    uint64_t& logs = log_counts_[prefix];
    logs = absolute ? count : logs + count;
    if (logs >= options_.checkpoint_threshold && queued_.insert(prefix).second) {
      checkpoint_queue_.push_back(prefix);
      wake_.notify_all();
    }
  }

  Status checkpoint_prefix(const std::string& prefix) {
    auto made = etcd::write_checkpoint(
        *client_, *interpreter_, options_.dedup, layout_.dedup_policy_key(), prefix,
        writer_token_ + "-" + std::to_string(++checkpoints_), options_.max_request_bytes);
    if (!made.is_ok()) return made.status().with_context("checkpoint of " + prefix);
    return Status::ok();
  }

  Status compact_to(int64_t revision) {
    pb::CompactionRequest request;
    request.set_revision(revision);
    auto compacted = client_->compact(request);
    // Someone (etcd's auto-compaction, another instance) went further: fine.
    if (!compacted.is_ok() && !etcd::is_compacted(compacted.status())) {
      return compacted.status().with_context("compaction to revision " + std::to_string(revision));
    }
    return Status::ok();
  }

  void warn(const Status& status) {
    if (options_.on_warning) {
      options_.on_warning(status);
    } else {
      std::cerr << "wal: warning: " << status.to_string() << std::endl;
    }
  }

  // The background thread: checkpoints as they are queued, and compaction.
  void maintain() {
    using Clock = std::chrono::steady_clock;
    const bool compacting = options_.compaction_interval.count() > 0;
    Clock::time_point next_compaction = Clock::now() + options_.compaction_interval;
    int64_t revision_one_interval_ago = 0;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (!checkpoint_queue_.empty()) {
        const std::string prefix = checkpoint_queue_.front();
        checkpoint_queue_.pop_front();
        lock.unlock();
        Status made = checkpoint_prefix(prefix);
        lock.lock();
        queued_.erase(prefix);
        if (made.is_ok()) {
          log_counts_[prefix] = 0;  // a retrieve or the next persists count again
        } else {
          lock.unlock();
          warn(made.with_context("will be retried after more messages"));
          lock.lock();
        }
        continue;
      }
      if (compacting && Clock::now() >= next_compaction) {
        lock.unlock();
        // Revisions younger than one interval stay, so reads in progress
        // (pinned to their first page's revision) are not cut off.
        auto status = client_->status();
        Status compacted = Status::ok();
        if (status.is_ok() && revision_one_interval_ago > 0) {
          compacted = compact_to(revision_one_interval_ago);
        } else if (!status.is_ok()) {
          compacted = status.status();
        }
        if (!compacted.is_ok()) warn(compacted.with_context("periodic compaction"));
        if (status.is_ok()) revision_one_interval_ago = status->header().revision();
        lock.lock();
        next_compaction = Clock::now() + options_.compaction_interval;
        continue;
      }
      if (compacting) {
        wake_.wait_until(lock, next_compaction);
      } else {
        wake_.wait(lock);
      }
    }
  }

  std::shared_ptr<StateInterpreter> interpreter_;
  const EtcdOptions options_;
  const KeyLayout layout_;
  std::unique_ptr<etcd::EtcdClient> client_;
  const std::string writer_token_;
  etcd::GroupCommit group_commit_;
  std::atomic<uint64_t> checkpoints_{0};

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::unordered_map<std::string, uint64_t> log_counts_;  // by client prefix
  std::deque<std::string> checkpoint_queue_;
  std::set<std::string> queued_;
  std::thread maintenance_;  // last: it uses everything above
};

Result<std::unique_ptr<EtcdPersistence>> EtcdPersistence::open(
    std::shared_ptr<StateInterpreter> state_interpreter, EtcdOptions options) {
  WAL_RETURN_IF_ERROR(check_options(state_interpreter.get(), options));
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<etcd::EtcdClient> client,
                       etcd::EtcdClient::connect(options));
  // Fails now, clearly, rather than at the first persist.
  if (auto status = client->status(); !status.is_ok()) {
    return status.status().with_context("connecting to etcd");
  }
  const bool unfinished_import_allowed = options.open_unfinished_import;
  auto impl =
      std::make_unique<Impl>(std::move(state_interpreter), std::move(options), std::move(client));
  if (!unfinished_import_allowed) WAL_RETURN_IF_ERROR(impl->check_no_import());
  WAL_RETURN_IF_ERROR(impl->check_dedup_policy());
  return std::unique_ptr<EtcdPersistence>(new EtcdPersistence(std::move(impl)));
}

Result<DedupPolicy> EtcdPersistence::stored_dedup_policy(const EtcdOptions& options) {
  if (options.service_name.empty()) return Status::invalid_argument("empty service name");
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<etcd::EtcdClient> client,
                       etcd::EtcdClient::connect(options));
  auto policy = read_dedup_policy(*client, KeyLayout(options.prefix, options.service_name));
  if (!policy.is_ok()) return policy.status().with_context("reading the dedup policy from etcd");
  return policy;
}

EtcdPersistence::EtcdPersistence(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EtcdPersistence::~EtcdPersistence() = default;

Result<PersistOutcome> EtcdPersistence::persist(std::string_view client_id, const Json& data,
                                                uint64_t message_id) {
  return impl_->persist(client_id, data, message_id);
}

Result<std::vector<PersistOutcome>> EtcdPersistence::persist_batch(
    const std::vector<PersistRequest>& batch) {
  return impl_->persist_batch(batch);
}

Result<Json> EtcdPersistence::retrieve(std::string_view client_id) {
  return impl_->retrieve(client_id);
}

Status EtcdPersistence::clear(std::string_view client_id) { return impl_->clear(client_id); }

Result<std::vector<ClientSummary>> EtcdPersistence::clients() { return impl_->clients(); }

Status EtcdPersistence::checkpoint(std::string_view client_id) {
  return impl_->checkpoint(client_id);
}

Status EtcdPersistence::compact() { return impl_->compact(); }

Status EtcdPersistence::begin_import(std::string_view source) {
  return impl_->begin_import(source);
}

Status EtcdPersistence::finish_import() { return impl_->finish_import(); }

Status EtcdPersistence::import_state(std::string_view client_id, const Json& state,
                                     uint64_t max_message_id) {
  return impl_->import_state(client_id, state, max_message_id);
}

}  // namespace wal
