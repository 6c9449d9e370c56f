#include "etcd/persist_txn.h"

#include "etcd/key_layout.h"

namespace wal::etcd {
namespace {

// Room left for protobuf framing, the Raft envelope and the compares.
constexpr size_t kRequestMarginBytes = 64u << 10;
// Under kExact a client's duplicate branch reads max, floor and its logs.
constexpr size_t kExactDuplicateReads = 3;
// The log keys a duplicate branch returns at most (ids of the write not
// among those returned go again as late writes).
constexpr int64_t kLoggedReadLimit = 1024;

// The reads of a client's duplicate branch (add_duplicate_reads).
size_t duplicate_reads(DedupPolicy policy) {
  return policy == DedupPolicy::kExact ? kExactDuplicateReads : 1;
}

void add_puts(const ClientWrite& write, google::protobuf::RepeatedPtrField<pb::RequestOp>* ops) {
  for (size_t i = 0; i < write.ids.size(); ++i) {
    pb::PutRequest* put = ops->Add()->mutable_request_put();
    put->set_key(KeyLayout::log_key(write.client_prefix, write.ids[i]));
    put->set_value(*write.records[i]);
  }
  pb::PutRequest* max = ops->Add()->mutable_request_put();
  max->set_key(KeyLayout::max_key(write.client_prefix));
  max->set_value(max_value(write.ids.back(), write.token));
}

// What a client's duplicate branch reads: its max, and under kExact also its
// floor and which of the write's ids a log holds (keys only).
void add_duplicate_reads(const ClientWrite& write, DedupPolicy policy,
                         google::protobuf::RepeatedPtrField<pb::RequestOp>* ops) {
  ops->Add()->mutable_request_range()->set_key(KeyLayout::max_key(write.client_prefix));
  if (policy != DedupPolicy::kExact) return;
  ops->Add()->mutable_request_range()->set_key(KeyLayout::floor_key(write.client_prefix));
  pb::RangeRequest* logs = ops->Add()->mutable_request_range();
  logs->set_key(KeyLayout::log_key(write.client_prefix, write.ids.front()));
  logs->set_range_end(KeyLayout::log_key(write.client_prefix, write.ids.back()) +
                      std::string(1, '\0'));
  logs->set_keys_only(true);
  logs->set_limit(kLoggedReadLimit);
}

void add_compare(pb::TxnRequest* txn, const std::string& key, pb::Compare::CompareTarget target,
                 pb::Compare::CompareResult result) {
  pb::Compare* compare = txn->add_compare();
  compare->set_key(key);
  compare->set_target(target);
  compare->set_result(result);
  if (target == pb::Compare::CREATE) compare->set_create_revision(0);
}

void add_value_compare(pb::TxnRequest* txn, const std::string& key,
                       pb::Compare::CompareResult result, const std::string& value) {
  add_compare(txn, key, pb::Compare::VALUE, result);
  txn->mutable_compare(txn->compare_size() - 1)->set_value(value);
}

void add_late_write(const LateWrite& late, google::protobuf::RepeatedPtrField<pb::RequestOp>* ops) {
  const std::string max_key = KeyLayout::max_key(late.client_prefix);
  const std::string floor_key = KeyLayout::floor_key(late.client_prefix);
  const std::string log_key = KeyLayout::log_key(late.client_prefix, late.id);
  auto put_log = [&](pb::TxnRequest* txn) {
    pb::PutRequest* put = txn->add_success()->mutable_request_put();
    put->set_key(log_key);
    put->set_value(*late.record);
  };
  // "max" still at or above the id ("<padded max> <token>" is greater than
  // the padded id exactly then; a missing key fails): the client was not
  // cleared and started again below the id meanwhile, which would leave this
  // log above max for an in-order persist to overwrite.
  const auto add_max_at_or_above = [&](pb::TxnRequest* txn) {
    add_value_compare(txn, max_key, pb::Compare::GREATER, pad_id(late.id));
  };
  // No floor yet: nothing settled.
  pb::TxnRequest* unsettled = ops->Add()->mutable_request_txn();
  add_max_at_or_above(unsettled);
  add_compare(unsettled, floor_key, pb::Compare::CREATE, pb::Compare::EQUAL);
  add_compare(unsettled, log_key, pb::Compare::CREATE, pb::Compare::EQUAL);
  put_log(unsettled);

  pb::TxnRequest* above = unsettled->add_failure()->mutable_request_txn();
  add_max_at_or_above(above);
  add_value_compare(above, floor_key, pb::Compare::LESS, pad_id(late.id));
  add_compare(above, log_key, pb::Compare::CREATE, pb::Compare::EQUAL);
  put_log(above);
  for (const std::string* key : {&max_key, &floor_key, &log_key}) {
    pb::RangeRequest* read = above->add_failure()->mutable_request_range();
    read->set_key(*key);
    if (key == &log_key) read->set_count_only(true);
  }
}

}  // namespace

namespace {

// Each record goes in both branches, with its key and a little framing.
size_t record_bytes_estimate(size_t client_prefix_bytes, size_t record_bytes) {
  return 2 * (record_bytes + client_prefix_bytes + 4 + kIdDigits + 16);
}

// A client's max key three times and the compares (under kExact also the
// floor key and the log range's two ends).
size_t client_bytes_estimate(size_t client_prefix_bytes, DedupPolicy policy) {
  const size_t keys = policy == DedupPolicy::kExact ? 9 : 6;
  return keys * (client_prefix_bytes + 4 + kIdDigits + 64);
}

}  // namespace

size_t client_write_nested_ops(size_t ids, DedupPolicy policy) {
  return (ids + 1) + std::max(ids + 1, duplicate_reads(policy));
}

size_t estimated_bytes(const ClientWrite& write, DedupPolicy policy) {
  size_t bytes = client_bytes_estimate(write.client_prefix.size(), policy);
  for (const std::string* record : write.records) {
    bytes += record_bytes_estimate(write.client_prefix.size(), record->size());
  }
  return bytes;
}

size_t estimated_bytes(const LateWrite& write) {
  // The record twice; the max, floor and log keys in six compares, two puts
  // and three reads.
  return 2 * write.record->size() + 11 * (write.client_prefix.size() + 8 + kIdDigits + 32);
}

size_t request_bytes_budget(const TxnLimits& limits) {
  return limits.max_bytes > kRequestMarginBytes ? limits.max_bytes - kRequestMarginBytes : 0;
}

size_t PersistTxnBuilder::estimate(size_t client_prefix_bytes, size_t record_bytes) const {
  return record_bytes_estimate(client_prefix_bytes, record_bytes);
}

bool PersistTxnBuilder::fits(bool new_client, size_t messages, size_t client_prefix_bytes,
                             size_t record_bytes) const {
  const size_t clients = clients_ + (new_client ? 1 : 0) + 1;  // and the batch key's put
  const size_t largest = std::max(largest_client_, messages);
  if (client_write_nested_ops(largest, limits_.policy) + clients > limits_.max_ops) return false;
  const size_t client_bytes =
      new_client ? client_bytes_estimate(client_prefix_bytes, limits_.policy) : 0;
  const size_t bytes = bytes_ + client_bytes + estimate(client_prefix_bytes, record_bytes);
  return bytes <= request_bytes_budget(limits_);
}

void PersistTxnBuilder::add(bool new_client, size_t messages, size_t client_prefix_bytes,
                            size_t record_bytes) {
  if (new_client) {
    ++clients_;
    bytes_ += client_bytes_estimate(client_prefix_bytes, limits_.policy);
  }
  largest_client_ = std::max(largest_client_, messages);
  bytes_ += estimate(client_prefix_bytes, record_bytes);
}

void add_policy_compare(pb::TxnRequest& txn, const std::string& policy_key, DedupPolicy policy) {
  if (policy == DedupPolicy::kExact) {
    add_value_compare(&txn, policy_key, pb::Compare::EQUAL, dedup_policy_name(policy));
  } else {
    add_compare(&txn, policy_key, pb::Compare::CREATE, pb::Compare::EQUAL);
  }
}

pb::TxnRequest build_persist_txn(const std::vector<ClientWrite>& writes,
                                 const std::vector<LateWrite>& late_writes,
                                 const std::string& batch_key, DedupPolicy policy,
                                 const std::string& policy_key) {
  pb::TxnRequest request;
  if (!policy_key.empty()) add_policy_compare(request, policy_key, policy);
  for (const ClientWrite& write : writes) {
    const std::string max_key = KeyLayout::max_key(write.client_prefix);
    pb::TxnRequest* absent = request.add_success()->mutable_request_txn();
    add_compare(absent, max_key, pb::Compare::CREATE, pb::Compare::EQUAL);
    add_puts(write, absent->mutable_success());

    pb::TxnRequest* below = absent->add_failure()->mutable_request_txn();
    add_value_compare(below, max_key, pb::Compare::LESS, pad_id(write.ids.front()));
    add_puts(write, below->mutable_success());
    add_duplicate_reads(write, policy, below->mutable_failure());
  }
  for (const LateWrite& late : late_writes) add_late_write(late, request.mutable_success());
  pb::PutRequest* batch = request.add_success()->mutable_request_put();
  batch->set_key(batch_key);
  batch->set_value(writes.empty() ? std::string() : writes.front().token);
  return request;
}

pb::TxnRequest build_optimistic_persist_txn(const std::vector<ClientWrite>& writes,
                                            DedupPolicy policy, const std::string& policy_key) {
  pb::TxnRequest request;
  if (!policy_key.empty()) add_policy_compare(request, policy_key, policy);
  for (const ClientWrite& write : writes) {
    // "<padded max> <token>" is greater than a padded id exactly when max is
    // at or above it, and less than it exactly when max is below it.
    add_value_compare(&request, KeyLayout::max_key(write.client_prefix),
                      write.expected_duplicate ? pb::Compare::GREATER : pb::Compare::LESS,
                      pad_id(write.expected_duplicate ? write.ids.back() : write.ids.front()));
    if (write.expected_duplicate) {
      add_duplicate_reads(write, policy, request.mutable_success());
    } else {
      add_puts(write, request.mutable_success());
    }
  }
  return request;
}

size_t optimistic_persist_ops(const std::vector<ClientWrite>& writes, DedupPolicy policy,
                              bool policy_compare) {
  size_t ops = 0;
  for (const ClientWrite& write : writes) {
    ops += write.expected_duplicate ? duplicate_reads(policy) : write.ids.size() + 1;
  }
  // etcd counts the larger of the compares and the operations of a branch.
  return std::max(ops, writes.size() + (policy_compare ? 1 : 0));
}

namespace {

Status unexpected_answer(const std::string& what) {
  return Status::corruption("etcd answered a persist transaction unexpectedly: " + what);
}

using ResponseOps = google::protobuf::RepeatedPtrField<pb::ResponseOp>;

// The floor and the logged ids a kExact duplicate branch read (at
// reads[first + 1] and reads[first + 2]).
Status parse_exact_reads(const ClientWrite& write, const ResponseOps& reads, int first,
                         ClientWriteResult& result) {
  const pb::RangeResponse& floor = reads.Get(first + 1).response_range();
  if (floor.kvs_size() == 1) {
    result.floor = parse_floor_value(floor.kvs(0).value());
    if (!result.floor) {
      return Status::corruption("etcd key " + KeyLayout::floor_key(write.client_prefix) +
                                ": not two 20-digit ids");
    }
  }
  const pb::RangeResponse& logs = reads.Get(first + 2).response_range();
  const std::string log_prefix = KeyLayout::log_prefix(write.client_prefix);
  for (const auto& kv : logs.kvs()) {
    auto id = parse_padded_id(std::string_view(kv.key()).substr(log_prefix.size()));
    if (!kv.key().starts_with(log_prefix) || !id) {
      return Status::corruption("etcd key " + kv.key() + ": not a log key");
    }
    result.logged.insert(*id);
  }
  return Status::ok();
}

// What a client's duplicate reads (add_duplicate_reads: `count` answers
// from reads[first]) say. An error fails the whole answer; a damaged floor or
// log key fails this client's write alone (it did not land), in result.error.
Status parse_duplicate_reads(const ClientWrite& write, const ResponseOps& reads, int first,
                             int count, ClientWriteResult& result) {
  if ((count != 1 && count != static_cast<int>(kExactDuplicateReads)) ||
      first + count > reads.size() || !reads.Get(first).has_response_range() ||
      reads.Get(first).response_range().kvs_size() != 1) {
    return unexpected_answer("no max in the duplicate branch");
  }
  auto max = parse_max_value(reads.Get(first).response_range().kvs(0).value());
  if (!max) {
    return Status::corruption("etcd key " + KeyLayout::max_key(write.client_prefix) +
                              ": not a 20-digit id");
  }
  Status exact = count == static_cast<int>(kExactDuplicateReads)
                     ? parse_exact_reads(write, reads, first, result)
                     : Status::ok();
  if (!exact.is_ok()) {
    result = ClientWriteResult{};
    result.error = std::move(exact);
  } else if (max->token == write.token && max->id == write.ids.back()) {
    result.written = true;  // an earlier send of this very request landed
  } else {
    result.stored_max = max->id;
  }
  return Status::ok();
}

Result<LateWriteResult> parse_late_write(const LateWrite& late, const pb::ResponseOp& answer) {
  if (!answer.has_response_txn()) return unexpected_answer("no nested answer to a late write");
  const pb::TxnResponse& unsettled = answer.response_txn();
  if (unsettled.succeeded()) return LateWriteResult::kWritten;
  if (unsettled.responses_size() != 1 || !unsettled.responses(0).has_response_txn()) {
    return unexpected_answer("no inner answer to a late write");
  }
  const pb::TxnResponse& above = unsettled.responses(0).response_txn();
  if (above.succeeded()) return LateWriteResult::kWritten;
  if (above.responses_size() != 3) return unexpected_answer("no reads in a late write's answer");
  const pb::RangeResponse& max = above.responses(0).response_range();
  const pb::RangeResponse& floor = above.responses(1).response_range();
  const pb::RangeResponse& log = above.responses(2).response_range();
  std::optional<MaxValue> stored_max;
  if (max.kvs_size() == 1) stored_max = parse_max_value(max.kvs(0).value());
  if (max.kvs_size() == 1 && !stored_max) {
    return Status::corruption("etcd key " + KeyLayout::max_key(late.client_prefix) +
                              ": not a 20-digit id");
  }
  // Cleared, perhaps started again below the id: the id is new above max.
  if (!stored_max || stored_max->id < late.id) return LateWriteResult::kCleared;
  if (log.count() > 0) return LateWriteResult::kDuplicate;
  const std::string floor_key = KeyLayout::floor_key(late.client_prefix);
  std::optional<FloorValue> settled;
  if (floor.kvs_size() == 1) settled = parse_floor_value(floor.kvs(0).value());
  if (!settled || settled->low_water_mark < late.id) {
    return Status::corruption("etcd key " + floor_key + ": not two 20-digit ids");
  }
  return late.id >= settled->recorded_from ? LateWriteResult::kDuplicate : LateWriteResult::kTooOld;
}

}  // namespace

Result<PersistTxnResults> parse_persist_txn(const std::vector<ClientWrite>& writes,
                                            const std::vector<LateWrite>& late_writes,
                                            const pb::TxnResponse& response) {
  auto unexpected = unexpected_answer;
  if (!response.succeeded()) {
    return Status::invalid_argument(
        "the etcd service no longer records the dedup policy this instance was opened with: "
        "another instance opened it with the other policy; nothing was written. Reopen with "
        "walctl --dedup auto, or the policy the service records");
  }
  // One answer per client, one per late write, then the batch key's.
  if (static_cast<size_t>(response.responses_size()) != writes.size() + late_writes.size() + 1) {
    return unexpected("wrong number of client answers");
  }
  PersistTxnResults parsed;
  std::vector<ClientWriteResult>& results = parsed.writes;
  for (size_t i = 0; i < writes.size(); ++i) {
    const ClientWrite& write = writes[i];
    ClientWriteResult result;
    const pb::ResponseOp& outer = response.responses(static_cast<int>(i));
    if (!outer.has_response_txn()) return unexpected("no nested answer");
    if (outer.response_txn().succeeded()) {
      result.written = true;  // max was absent
    } else {
      if (outer.response_txn().responses_size() != 1 ||
          !outer.response_txn().responses(0).has_response_txn()) {
        return unexpected("no inner answer");
      }
      const pb::TxnResponse& inner = outer.response_txn().responses(0).response_txn();
      if (inner.succeeded()) {
        result.written = true;  // max was below the first id
      } else {
        WAL_RETURN_IF_ERROR(
            parse_duplicate_reads(write, inner.responses(), 0, inner.responses_size(), result));
      }
    }
    results.push_back(result);
  }
  for (size_t i = 0; i < late_writes.size(); ++i) {
    const auto& answer = response.responses(static_cast<int>(writes.size() + i));
    parsed.late_writes.push_back(parse_late_write(late_writes[i], answer));
  }
  return parsed;
}

Result<PersistTxnResults> parse_optimistic_persist_txn(const std::vector<ClientWrite>& writes,
                                                       DedupPolicy policy,
                                                       const pb::TxnResponse& response) {
  if (!response.succeeded()) return unexpected_answer("its compares failed");
  PersistTxnResults parsed;
  int at = 0;
  for (const ClientWrite& write : writes) {
    ClientWriteResult result;
    if (write.expected_duplicate) {
      const int reads = static_cast<int>(duplicate_reads(policy));
      WAL_RETURN_IF_ERROR(parse_duplicate_reads(write, response.responses(), at, reads, result));
      at += reads;
    } else {
      result.written = true;
      at += static_cast<int>(write.ids.size()) + 1;
    }
    parsed.writes.push_back(std::move(result));
  }
  if (at != response.responses_size()) return unexpected_answer("wrong number of answers");
  return parsed;
}

pb::TxnRequest build_max_reads(const std::vector<ClientWrite>& writes) {
  pb::TxnRequest request;
  for (const ClientWrite& write : writes) {
    request.add_success()->mutable_request_range()->set_key(
        KeyLayout::max_key(write.client_prefix));
  }
  return request;
}

Result<std::vector<bool>> parse_max_reads(const std::vector<ClientWrite>& writes,
                                          const pb::TxnResponse& response) {
  if (static_cast<size_t>(response.responses_size()) != writes.size()) {
    return Status::corruption("etcd answered a read of max keys unexpectedly");
  }
  std::vector<bool> landed;
  for (size_t i = 0; i < writes.size(); ++i) {
    const pb::RangeResponse& read = response.responses(static_cast<int>(i)).response_range();
    std::optional<MaxValue> max;
    if (read.kvs_size() == 1) max = parse_max_value(read.kvs(0).value());
    landed.push_back(max && max->token == writes[i].token && max->id == writes[i].ids.back());
  }
  return landed;
}

}  // namespace wal::etcd
