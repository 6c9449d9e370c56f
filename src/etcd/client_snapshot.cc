#include "etcd/client_snapshot.h"

#include "etcd/key_layout.h"

namespace wal::etcd {
namespace {

Result<ClientSnapshot> read_client_once(EtcdClient& client, const std::string& client_prefix,
                                        int64_t page_size) {
  const std::string max_key = KeyLayout::max_key(client_prefix);
  const std::string floor_key = KeyLayout::floor_key(client_prefix);
  const std::string checkpoint_key = KeyLayout::checkpoint_key(client_prefix);
  const std::string chunks_prefix = KeyLayout::chunks_prefix(client_prefix);
  const std::string log_prefix = KeyLayout::log_prefix(client_prefix);

  ClientSnapshot snapshot;
  pb::RangeRequest request;
  request.set_key(client_prefix);
  request.set_range_end(prefix_end(client_prefix));
  request.set_limit(page_size);
  for (;;) {
    WAL_ASSIGN_OR_RETURN(pb::RangeResponse page, client.range(request));
    if (snapshot.revision == 0) {
      snapshot.revision = page.header().revision();
      request.set_revision(snapshot.revision);
    }
    for (const auto& kv : page.kvs()) {
      const std::string& key = kv.key();
      if (key == max_key) {
        snapshot.max = StoredValue{kv.value(), kv.create_revision(), kv.mod_revision()};
      } else if (key == floor_key) {
        snapshot.floor = StoredValue{kv.value(), kv.create_revision(), kv.mod_revision()};
      } else if (key == checkpoint_key) {
        snapshot.checkpoint = StoredValue{kv.value(), kv.create_revision(), kv.mod_revision()};
      } else if (key.starts_with(chunks_prefix)) {
        snapshot.chunks.emplace(key, kv.value());
      } else if (key.starts_with(log_prefix)) {
        auto id = parse_padded_id(std::string_view(key).substr(log_prefix.size()));
        if (!id) return Status::corruption("etcd key " + key + ": not a log key");
        snapshot.logs.emplace_back(*id, kv.value());
      }
      // Other keys are not ours to judge: a later version may add some.
    }
    if (!page.more() || page.kvs().empty()) break;
    request.set_key(page.kvs(page.kvs_size() - 1).key() + std::string(1, '\0'));
  }
  return snapshot;
}

}  // namespace

Result<ClientSnapshot> read_client(EtcdClient& client, const std::string& client_prefix,
                                   int64_t page_size) {
  for (int attempt = 0;; ++attempt) {
    auto snapshot = read_client_once(client, client_prefix, page_size);
    if (snapshot.is_ok() || attempt == 2 || !is_compacted(snapshot.status())) return snapshot;
  }
}

Result<FoldedState> fold_client(const StateInterpreter& interpreter,
                                const std::string& client_prefix, const ClientSnapshot& snapshot,
                                std::optional<uint64_t> up_to) {
  FoldedState folded;
  folded.state = interpreter.empty_state();
  if (!snapshot.max) return folded;
  const std::string max_key = KeyLayout::max_key(client_prefix);
  auto max = parse_max_value(snapshot.max->value);
  if (!max) return Status::corruption("etcd key " + max_key + ": not a 20-digit id");
  folded.max_message_id = max->id;

  std::optional<uint64_t> covered;
  if (snapshot.checkpoint) {
    const std::string key = KeyLayout::checkpoint_key(client_prefix);
    WAL_ASSIGN_OR_RETURN(CheckpointHeader header,
                         decode_checkpoint_header(snapshot.checkpoint->value, key));
    std::vector<std::string_view> chunks;
    for (uint32_t index = 0; index < header.chunks; ++index) {
      auto chunk =
          snapshot.chunks.find(KeyLayout::chunk_key(client_prefix, header.generation, index));
      if (chunk == snapshot.chunks.end()) break;
      chunks.push_back(chunk->second);
    }
    WAL_ASSIGN_OR_RETURN(folded.state, decode_checkpoint(interpreter, header, chunks, key));
    covered = header.max_message_id;
  }

  std::vector<LogEntry> entries;
  for (const auto& [id, value] : snapshot.logs) {
    if (covered && id <= *covered) continue;  // not expected: the checkpoint deleted them
    if (up_to && id > *up_to) break;
    const std::string key = KeyLayout::log_key(client_prefix, id);
    WAL_ASSIGN_OR_RETURN(Json data, decode_record(interpreter, value, key));
    entries.push_back(LogEntry{id, std::move(data)});
    folded.last_log_id = id;
  }
  folded.folded_logs = entries.size();
  if (!entries.empty()) {
    WAL_ASSIGN_OR_RETURN(folded.state, interpreter.merge_data(std::move(folded.state), entries));
  }
  return folded;
}

}  // namespace wal::etcd
