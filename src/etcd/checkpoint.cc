#include "etcd/checkpoint.h"

#include <vector>

#include "dedup/dedup_state.h"
#include "etcd/client_snapshot.h"
#include "etcd/key_layout.h"
#include "etcd/persist_txn.h"
#include "etcd/record.h"

namespace wal::etcd {
namespace {

constexpr size_t kMarginBytes = 64u << 10;

void add_put(pb::TxnRequest& txn, std::string key, std::string value) {
  pb::PutRequest* put = txn.add_success()->mutable_request_put();
  put->set_key(std::move(key));
  put->set_value(std::move(value));
}

void add_delete(pb::TxnRequest& txn, std::string key, std::string range_end) {
  pb::DeleteRangeRequest* remove = txn.add_success()->mutable_request_delete_range();
  remove->set_key(std::move(key));
  remove->set_range_end(std::move(range_end));
}

// Puts the chunks into `main` while they fit beside what it holds; the rest
// go ahead in transactions of their own, unreferenced until `main` lands.
// Returns whether any went ahead.
Result<bool> place_chunks(EtcdClient& client, const std::string& client_prefix,
                          const std::string& generation, std::vector<std::string> chunks,
                          size_t max_request_bytes, pb::TxnRequest& main) {
  const size_t budget = max_request_bytes - kMarginBytes;
  bool wrote_ahead = false;
  pb::TxnRequest ahead;
  for (uint32_t index = 0; index < chunks.size(); ++index) {
    std::string key = KeyLayout::chunk_key(client_prefix, generation, index);
    const size_t size = key.size() + chunks[index].size() + 16;
    if (main.ByteSizeLong() + size <= budget - (4u << 10)) {
      add_put(main, std::move(key), std::move(chunks[index]));
      continue;
    }
    if (ahead.ByteSizeLong() + size > budget) {
      WAL_ASSIGN_OR_RETURN(pb::TxnResponse done, client.txn(ahead));
      static_cast<void>(done);
      ahead.Clear();
    }
    add_put(ahead, std::move(key), std::move(chunks[index]));
    wrote_ahead = true;
  }
  if (ahead.success_size() > 0) {
    WAL_ASSIGN_OR_RETURN(pb::TxnResponse done, client.txn(ahead));
    static_cast<void>(done);
  }
  return wrote_ahead;
}

// Under exact dedup: the client's state from its floor with every log above
// it recorded, so with the window and the gap limit applied.
DedupState settle_logs(const DedupOptions& dedup, const std::optional<FloorValue>& floor,
                       const ClientSnapshot& snapshot) {
  DedupState state(dedup);
  if (floor) {
    state = DedupState(dedup, DedupState::Saved{floor->low_water_mark, floor->recorded_from, {}});
  }
  for (const auto& [id, value] : snapshot.logs) {
    if (state.classify(id) == DedupState::Verdict::kNew) state.record(id);
  }
  return state;
}

}  // namespace

Result<bool> write_checkpoint(EtcdClient& client, const StateInterpreter& interpreter,
                              const DedupOptions& dedup, const std::string& policy_key,
                              const std::string& client_prefix, const std::string& writer_token,
                              size_t max_request_bytes) {
  WAL_ASSIGN_OR_RETURN(ClientSnapshot snapshot, read_client(client, client_prefix));
  if (!snapshot.max) return false;
  // What the checkpoint covers: every log (high-water mark), or the logs up
  // to the new low-water mark, which becomes the floor (exact).
  std::optional<uint64_t> covered;
  std::optional<FloorValue> floor;
  if (dedup.policy == DedupPolicy::kExact) {
    std::optional<FloorValue> old_floor;
    if (snapshot.floor) {
      old_floor = parse_floor_value(snapshot.floor->value);
      if (!old_floor) {
        return Status::corruption("etcd key " + KeyLayout::floor_key(client_prefix) +
                                  ": not two 20-digit ids");
      }
    }
    const DedupState settled = settle_logs(dedup, old_floor, snapshot);
    if (!settled.low_water_mark() ||
        (old_floor && *settled.low_water_mark() <= old_floor->low_water_mark)) {
      return false;
    }
    covered = settled.low_water_mark();
    floor = FloorValue{*covered, settled.recorded_from()};
  }
  WAL_ASSIGN_OR_RETURN(FoldedState folded,
                       fold_client(interpreter, client_prefix, snapshot, covered));
  if (!covered) covered = folded.last_log_id;
  if (!covered) return false;

  // Unique per checkpoint attempt, also across instances reading one revision.
  const std::string generation =
      pad_id(static_cast<uint64_t>(snapshot.revision)) + "-" + writer_token;
  WAL_ASSIGN_OR_RETURN(EncodedCheckpoint encoded,
                       encode_checkpoint(interpreter, folded.state, *covered, generation));

  pb::TxnRequest flip;
  pb::Compare* same_client = flip.add_compare();
  same_client->set_key(KeyLayout::max_key(client_prefix));
  same_client->set_target(pb::Compare::CREATE);
  same_client->set_result(pb::Compare::EQUAL);
  same_client->set_create_revision(snapshot.max->create_revision);
  pb::Compare* same_checkpoint = flip.add_compare();
  same_checkpoint->set_key(KeyLayout::checkpoint_key(client_prefix));
  same_checkpoint->set_target(pb::Compare::MOD);
  same_checkpoint->set_result(pb::Compare::EQUAL);
  same_checkpoint->set_mod_revision(snapshot.checkpoint ? snapshot.checkpoint->mod_revision : 0);
  const std::string log_prefix = KeyLayout::log_prefix(client_prefix);
  const std::string covered_end = *covered == UINT64_MAX
                                      ? prefix_end(log_prefix)
                                      : KeyLayout::log_key(client_prefix, *covered + 1);
  if (floor) {
    // No late persist added a log up to the new mark since the read.
    pb::Compare* no_late_log = flip.add_compare();
    no_late_log->set_key(log_prefix);
    no_late_log->set_range_end(covered_end);
    no_late_log->set_target(pb::Compare::MOD);
    no_late_log->set_result(pb::Compare::LESS);
    no_late_log->set_mod_revision(snapshot.revision + 1);
  }

  WAL_ASSIGN_OR_RETURN(bool wrote_ahead,
                       place_chunks(client, client_prefix, generation, std::move(encoded.chunks),
                                    max_request_bytes, flip));

  const std::string chunks_prefix = KeyLayout::chunks_prefix(client_prefix);
  const std::string own_chunks = chunks_prefix + generation + "/";
  add_put(flip, KeyLayout::checkpoint_key(client_prefix), encoded.header_value);
  // Every other generation: the replaced one and leftovers of interrupted ones.
  add_delete(flip, chunks_prefix, own_chunks);
  add_delete(flip, prefix_end(own_chunks), prefix_end(chunks_prefix));
  add_delete(flip, log_prefix, covered_end);
  if (floor) add_put(flip, KeyLayout::floor_key(client_prefix), floor_value(*floor));
  add_policy_compare(flip, policy_key, dedup.policy);
  WAL_ASSIGN_OR_RETURN(pb::TxnResponse flipped, client.txn(flip));
  if (flipped.succeeded()) return true;
  if (wrote_ahead) {
    // A flip resent after its answer was lost fails its compares against its
    // own landing: then the header names these chunks, which must stay.
    pb::RangeRequest read_header;
    read_header.set_key(KeyLayout::checkpoint_key(client_prefix));
    WAL_ASSIGN_OR_RETURN(pb::RangeResponse header_now, client.range(read_header));
    if (header_now.kvs_size() == 1) {
      auto header = decode_checkpoint_header(header_now.kvs(0).value(),
                                             KeyLayout::checkpoint_key(client_prefix));
      if (header.is_ok() && header->generation == generation) return true;
    }
    pb::DeleteRangeRequest remove;
    remove.set_key(own_chunks);
    remove.set_range_end(prefix_end(own_chunks));
    // Best effort: the next checkpoint deletes them too.
    static_cast<void>(client.delete_range(remove));
  }
  return false;
}

Result<bool> import_checkpoint(EtcdClient& client, const StateInterpreter& interpreter,
                               const DedupOptions& dedup, const std::string& client_prefix,
                               const Json& state, uint64_t max_message_id,
                               const std::string& writer_token, size_t max_request_bytes) {
  const std::string generation = "import-" + writer_token;
  WAL_ASSIGN_OR_RETURN(EncodedCheckpoint encoded,
                       encode_checkpoint(interpreter, state, max_message_id, generation));
  pb::TxnRequest put;
  pb::Compare* absent = put.add_compare();
  absent->set_key(KeyLayout::max_key(client_prefix));
  absent->set_target(pb::Compare::CREATE);
  absent->set_result(pb::Compare::EQUAL);
  absent->set_create_revision(0);

  WAL_RETURN_IF_ERROR(place_chunks(client, client_prefix, generation, std::move(encoded.chunks),
                                   max_request_bytes, put)
                          .status());
  add_put(put, KeyLayout::checkpoint_key(client_prefix), encoded.header_value);
  add_put(put, KeyLayout::max_key(client_prefix), max_value(max_message_id, writer_token));
  if (dedup.policy == DedupPolicy::kExact) {
    const FloorValue floor{max_message_id, std::min(dedup.first_message_id, max_message_id)};
    add_put(put, KeyLayout::floor_key(client_prefix), floor_value(floor));
  }
  WAL_ASSIGN_OR_RETURN(pb::TxnResponse written, client.txn(put));
  return written.succeeded();
}

}  // namespace wal::etcd
