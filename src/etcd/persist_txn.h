// One etcd transaction that records messages of several clients, each only
// if its id is above the client's "max", and says which were written.
//
// Per client, for ids i1 < ... < ik (tested in that nesting because a compare
// on a missing key's value always fails in etcd):
//
//   if create_revision(max) == 0:        put log/i1 ... log/ik, max = ik
//   else if value(max) < pad(i1):        put log/i1 ... log/ik, max = ik
//   else:                                range max
//
// so either all k are written, or none is and the answer carries the stored
// max. Under exact dedup that last branch also reads the client's floor and
// which of log/i1 ... log/ik exist (keys only), so that a redelivered id is
// a duplicate at once and only an id truly late goes again (below). The clients are sibling
// sub-transactions of one request without compares, so each client's branch is decided on its own.
//
// Beside them, a put of the service's ".batch" key at the top level: etcd
// 3.4 applies its quota and its permission checks only to top-level
// operations (costTxn, checkTxnAuth), so without it a persist would write
// past the quota and past the user's permissions.
//
// Under exact dedup an id at or below "max" may still be new: a message
// requeued behind later ones. It goes again as a LateWrite, its own sibling
// sub-transaction, written only if no log holds the id and the client's
// "floor" (the ids a checkpoint settled) is below it:
//
//   if value(max) > pad(i) and create(floor) == 0 and create(log/i) == 0:  put log/i
//   else if value(max) > pad(i) and value(floor) < pad(i) and create(log/i) == 0:
//                                                                          put log/i
//   else:                                   range max, floor and log/i
//
// (value(max) > pad(i) holds exactly when max >= i, as its value is
// "<padded max> <token>": the client was not cleared and started again below i.)
//
// "max" carries the token of the write that set it. A request that is sent
// again after a timeout is the same request with the same token: if the
// first send landed, the stored max shows that token and the messages are
// reported written, not duplicate.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "etcd/etcd_client.h"
#include "etcd/key_layout.h"
#include "wal/dedup_policy.h"

namespace wal::etcd {

struct TxnLimits {
  uint32_t max_ops = 128;             // etcd's --max-txn-ops
  size_t max_bytes = (3u << 20) / 2;  // etcd's --max-request-bytes
  uint32_t max_in_flight = 1;         // transactions sent at once
  // Under kExact a client's duplicate branch also reads its floor and logs.
  DedupPolicy policy = DedupPolicy::kHighWaterMark;
};

// The messages of one client in a transaction.
struct ClientWrite {
  std::string client_prefix;
  std::string token;
  std::vector<uint64_t> ids;                // ascending, distinct
  std::vector<const std::string*> records;  // records[i] is ids[i]'s
  // Only for the optimistic form: this instance last saw the client's max at
  // or above every id, so the form reads the client instead of writing it.
  bool expected_duplicate = false;
};

// A message whose id is at or below its client's max, under exact dedup.
struct LateWrite {
  std::string client_prefix;
  uint64_t id = 0;
  const std::string* record = nullptr;
};

// The operations a late write adds at the top level, and the budget its two
// nested levels (three compares each) take from the levels above them.
inline constexpr size_t kLateWriteNestedOps = 6;

// Operations the nested levels of a ClientWrite of `ids` messages take
// (etcd's per-level budget), and estimated request bytes of each kind of write.
size_t client_write_nested_ops(size_t ids, DedupPolicy policy);
size_t estimated_bytes(const ClientWrite& write, DedupPolicy policy);
size_t estimated_bytes(const LateWrite& write);
// The request bytes a transaction may carry: etcd's limit less a margin.
size_t request_bytes_budget(const TxnLimits& limits);

class PersistTxnBuilder {
 public:
  explicit PersistTxnBuilder(TxnLimits limits) : limits_(limits) {}

  // Whether the request stays within the limits with one more message for
  // a client (`new_client`: not in the request yet; `messages`: its count
  // with this one). etcd checks operations per nesting level, each level's
  // budget reduced by its parents': a client's inner branch must fit
  // max_ops - clients - (k + 1), so 2(k + 1) + clients <= max_ops (under
  // kExact its duplicate branch has three reads: (k + 1) + max(k + 1, 3)).
  bool fits(bool new_client, size_t messages, size_t client_prefix_bytes,
            size_t record_bytes) const;
  // Counts a message that fits().
  void add(bool new_client, size_t messages, size_t client_prefix_bytes, size_t record_bytes);

 private:
  size_t estimate(size_t client_prefix_bytes, size_t record_bytes) const;

  TxnLimits limits_;
  size_t clients_ = 0;
  size_t largest_client_ = 0;  // messages of the client with the most
  size_t bytes_ = 0;
};

// `batch_key` is KeyLayout::batch_key() of the service. With a `policy_key`
// (KeyLayout::dedup_policy_key()) the whole transaction also requires the
// service to record `policy` still (kExact: the key says "exact";
// kHighWaterMark: it is absent), so that an instance opened under one policy
// writes nothing once another has recorded the other.
pb::TxnRequest build_persist_txn(const std::vector<ClientWrite>& writes,
                                 const std::vector<LateWrite>& late_writes,
                                 const std::string& batch_key, DedupPolicy policy,
                                 const std::string& policy_key = std::string());
// The compare build_persist_txn adds for `policy_key`.
void add_policy_compare(pb::TxnRequest& txn, const std::string& policy_key, DedupPolicy policy);

// What etcd did with one ClientWrite.
struct ClientWriteResult {
  bool written = false;
  std::optional<uint64_t> stored_max;  // when not written: the client's max
  Status error;                        // neither: why the write failed
  // When not written, under kExact: the client's floor, and ids of the write
  // that a log holds (those the read's limit let through: an id not listed
  // goes again as a late write, which decides it).
  std::optional<FloorValue> floor;
  std::set<uint64_t> logged;
};

// What etcd did with one LateWrite.
enum class LateWriteResult {
  kWritten,
  kDuplicate,  // a log holds the id, or the floor settled it as recorded
  kTooOld,     // the floor settled it as given up
  kCleared,    // the client's max is gone or below the id: it goes again as a ClientWrite
};

struct PersistTxnResults {
  std::vector<ClientWriteResult> writes;  // one per ClientWrite, in order
  // One per LateWrite; kCorruption for one whose keys read back damaged
  // (it did not land).
  std::vector<Result<LateWriteResult>> late_writes;
};

// kInvalidArgument when the policy compare failed (nothing was written);
// kCorruption if the response has another shape.
Result<PersistTxnResults> parse_persist_txn(const std::vector<ClientWrite>& writes,
                                            const std::vector<LateWrite>& late_writes,
                                            const pb::TxnResponse& response);

// The optimistic form, for a round whose clients this instance last saw with
// a max below their first ids (the common case: one writer per client, ids
// ascending), or at or above their last (a redelivery: `expected_duplicate`).
// All compares at the top level, so it decides every client or none:
//
//   if value(max) < pad(first id) for each client expected new,
//      value(max) > pad(last id) (max at or above it) for each expected duplicate,
//      (and the policy compare):
//       put log/... and max of each new client; read each duplicate's max
//       (under kExact also its floor and logs, as the full form's duplicate branch)
//   else: nothing
//
// Its puts are at the top level, where etcd applies its quota and permission
// checks, so it needs no ".batch" put; and each record is carried once. When
// its compares fail nothing was written and build_persist_txn decides the
// round, with the same writes (tokens included: a resend of this form that
// finds its own landing then reads its own token back).
pb::TxnRequest build_optimistic_persist_txn(const std::vector<ClientWrite>& writes,
                                            DedupPolicy policy,
                                            const std::string& policy_key = std::string());
// The operations etcd counts at its one level: a put per message and per new
// client and a duplicate's reads, or its compares (a client's, and the
// policy's with `policy_compare`) when they are more.
size_t optimistic_persist_ops(const std::vector<ClientWrite>& writes, DedupPolicy policy,
                              bool policy_compare);
// Its answer when its compares held: new clients written, duplicates with
// their stored max (and reads). kCorruption for another shape.
Result<PersistTxnResults> parse_optimistic_persist_txn(const std::vector<ClientWrite>& writes,
                                                       DedupPolicy policy,
                                                       const pb::TxnResponse& response);

// After a request that failed (its answer lost, then a definite refusal such
// as NOSPACE on the resend), reads every client's max: a write whose token
// is there had landed. One read per client, all in one transaction.
pb::TxnRequest build_max_reads(const std::vector<ClientWrite>& writes);
Result<std::vector<bool>> parse_max_reads(const std::vector<ClientWrite>& writes,
                                          const pb::TxnResponse& response);

}  // namespace wal::etcd
