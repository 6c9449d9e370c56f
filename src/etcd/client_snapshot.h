// Reading everything etcd holds for one client, as of one revision, and
// folding it into the client's state.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "etcd/etcd_client.h"
#include "etcd/record.h"
#include "wal/state_interpreter.h"

namespace wal::etcd {

struct StoredValue {
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
};

struct ClientSnapshot {
  int64_t revision = 0;  // every key below was read as of this revision
  std::optional<StoredValue> max;
  std::optional<StoredValue> floor;                    // exact dedup only
  std::optional<StoredValue> checkpoint;               // the header
  std::map<std::string, std::string> chunks;           // key -> value, every generation
  std::vector<std::pair<uint64_t, std::string>> logs;  // ascending ids
};

// Reads the client's keys in pages of `page_size`, all at the revision of
// the first page, so that a concurrent persist, checkpoint or clear is seen
// entirely or not at all. Starts over if that revision is compacted meanwhile.
Result<ClientSnapshot> read_client(EtcdClient& client, const std::string& client_prefix,
                                   int64_t page_size = 256);

struct FoldedState {
  Json state;
  std::optional<uint64_t> max_message_id;  // from "max"; empty for an unknown client
  uint64_t folded_logs = 0;                // logs after the checkpoint
  std::optional<uint64_t> last_log_id;     // the highest of them
};

// The checkpoint's state with the later logs merged in, in id order (only
// those up to `up_to` when given); the interpreter's empty state for a client
// without "max" (leftovers of an interrupted checkpoint of a cleared client
// are ignored).
Result<FoldedState> fold_client(const StateInterpreter& interpreter,
                                const std::string& client_prefix, const ClientSnapshot& snapshot,
                                std::optional<uint64_t> up_to = std::nullopt);

}  // namespace wal::etcd
