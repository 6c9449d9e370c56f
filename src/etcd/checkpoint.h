// Folding a client's logs into a checkpoint, in etcd.
//
// The checkpoint's chunks get keys of their own generation, so the old
// checkpoint stays readable until one transaction switches the header to the
// new chunks and deletes the old ones and the logs they now cover. That
// transaction compares the client's "max" (same create_revision: not cleared
// meanwhile) and the header (same mod_revision: no other checkpoint
// meanwhile); if either moved, nothing changes and the chunks written ahead
// are removed. Persists need no coordination with it: they only add logs
// above the ids it covers.
//
// Under exact dedup a checkpoint folds only the logs at or below the
// client's new low-water mark (the ids below it all settled; the window and
// the gap limit may settle more), and moves the client's "floor" to it in the
// same transaction. A late persist may add a log below that mark meanwhile,
// so the transaction also requires every log key up to the mark to be older
// than the revision it read: if one is newer, nothing changes.
#pragma once

#include <cstddef>
#include <string>

#include "etcd/etcd_client.h"
#include "wal/dedup_policy.h"
#include "wal/state_interpreter.h"

namespace wal::etcd {

// True when a checkpoint was made, false when there was nothing to fold or
// another writer got in first.
// `policy_key`: the service's KeyLayout::dedup_policy_key(), which must
// still record dedup.policy for the checkpoint to be made.
Result<bool> write_checkpoint(EtcdClient& client, const StateInterpreter& interpreter,
                              const DedupOptions& dedup, const std::string& policy_key,
                              const std::string& client_prefix, const std::string& writer_token,
                              size_t max_request_bytes);

// Records `state` as the whole history of a client with nothing recorded,
// with `max_message_id` as its mark: the checkpoint's chunks, its header and
// "max", the last two in one transaction that requires "max" to be absent.
// Under exact dedup, also a floor at `max_message_id`: every id from the
// first message id up to it is a duplicate, as it was under the high-water
// mark. True when written, false when the client has something recorded.
Result<bool> import_checkpoint(EtcdClient& client, const StateInterpreter& interpreter,
                               const DedupOptions& dedup, const std::string& client_prefix,
                               const Json& state, uint64_t max_message_id,
                               const std::string& writer_token, size_t max_request_bytes);

}  // namespace wal::etcd
