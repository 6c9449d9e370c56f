// The seed layout engine: one folder per client, at most one file per message.
// docs/format.md describes the bytes; this file says how they are written.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dedup/dedup_state.h"
#include "engine.h"
#include "seed/client_scan.h"
#include "seed/spare_files.h"
#include "seed/state_loader.h"
#include "segmented/state_cache.h"
#include "util/client_map.h"
#include "util/failure_latch.h"

namespace wal::seed {

class SeedEngine final : public WriteAheadLog::Engine {
 public:
  static Result<std::unique_ptr<WriteAheadLog::Engine>> open(
      std::shared_ptr<StateInterpreter> interpreter, std::shared_ptr<Storage> storage,
      WriteAheadLogOptions options, std::unique_ptr<FileLock> lock);

  Result<PersistOutcome> persist(std::string_view client_id, const Json& data,
                                 uint64_t message_id) override;
  // Each message written as persist writes it, after checking them all: each
  // message is durable on its own, so an I/O failure part-way leaves the
  // earlier ones recorded.
  Result<std::vector<PersistOutcome>> persist_batch(
      const std::vector<PersistRequest>& batch) override;
  Result<Json> retrieve(std::string_view client_id) override;
  Status clear(std::string_view client_id) override;
  Result<std::vector<ClientSummary>> clients() override;
  const RecoveryReport& recovery_report() const override { return report_; }
  Status health() const override;

 private:
  // What we know of a client folder; guarded by `mutex`.
  struct Client {
    Client(const DedupOptions& options, size_t max_spare_logs)
        : dedup(options), spares(max_spare_logs) {}

    std::mutex mutex;
    DedupState dedup;  // the ids recorded, per options_.dedup
    StateFiles files;  // files.logs sorted by id: a late id is inserted in place
    // No new name goes below it: clocks step back. Under kExact each new log
    // name goes above it, so the names' order is the arrival order.
    uint64_t last_timestamp = 0;
    bool folder_exists = false;
    Status damage;  // refuses every call until the client is cleared or repaired
    SpareFiles spares;
  };

  SeedEngine(std::shared_ptr<StateInterpreter> interpreter, std::shared_ptr<Storage> storage,
             WriteAheadLogOptions options);

  // A record body checked and split, ready for its "_metadata".
  struct Prepared {
    Json record;
    Json metadata;
  };

  Status recover();
  Status empty_trash();
  Status recover_client(const std::string& client_id);
  Status remove_tree(const std::string& path);

  std::string client_dir(std::string_view client_id) const;

  Result<Prepared> prepare(std::string_view client_id, const Json& data) const;
  // The bytes of a log file for a prepared record; kInvalidArgument above max_record_bytes.
  Result<std::string> encode_log(Prepared prepared, uint64_t timestamp, uint64_t message_id) const;
  Result<PersistOutcome> persist_prepared(std::string_view client_id, Prepared prepared,
                                          uint64_t message_id);
  Status ensure_client_folder(Client& client, const std::string& dir);
  // Writes a file's bytes, returning the first failure.
  using FileWriter = std::function<Status(WritableFile& file)>;
  // The pieces a checkpoint is written in: its bytes are never all in memory.
  static constexpr size_t kCheckpointPieceBytes = 64 * 1024;
  // Writes `name` whole under a temporary name, syncs it, renames it, and
  // syncs `dir`. The temporary file is `spare` (a name in `dir`) when given.
  Status write_file_durably(const std::string& dir, const std::string& name,
                            const FileWriter& write_contents, std::optional<std::string> spare);
  // write_file_durably of one of `client`'s files, over a spare of its kind
  // when the client has one. On a full disk every spare that can be had is
  // removed, and the file written once more if any was.
  Status write_client_file(const std::string& dir, Client& client, const std::string& name,
                           const FileWriter& write_contents);
  // Removes the spares of `client` (whose folder is `dir`; the caller holds
  // its lock); returns how many were removed.
  size_t remove_spares(const std::string& dir, Client& client);
  // remove_spares of `client` and of every other client not locked right now.
  size_t release_spares(const std::string& dir, Client& client);
  // A file a checkpoint replaced: kept as a spare if `client` has room for
  // one, else removed.
  void retire(const std::string& dir, Client& client, const std::string& name);
  // A message that goes into the checkpoint it completes instead of a log
  // file of its own: one file and two syncs fewer, the same state.
  struct Arriving {
    LogEntry entry;
    DedupState dedup;  // the client's, with the message recorded
  };
  // The message as Arriving when its log would make the client reach
  // checkpoint_threshold with every log folded, itself last in id order.
  std::optional<Arriving> arrives_into_checkpoint(const Client& client, const std::string& log_path,
                                                  const std::string& contents,
                                                  uint64_t message_id) const;
  // Folds the settled logs (and `arriving`, when given) into a new checkpoint.
  Status checkpoint(const std::string& client_id, const std::string& dir, Client& client,
                    std::optional<Arriving> arriving = std::nullopt);
  // What reading a state does with the cached state of its checkpoint: a
  // retrieve copies it; a checkpoint takes it out, as it puts its own after
  // (one that fails leaves none: the next read loads the file).
  enum class CacheUse { kCopy, kTake };
  // The state `files` hold, then `arriving`, from the cached state of their
  // checkpoint when there is one. The caller holds the client's lock.
  Result<Json> state_of(const std::string& client_id, const std::string& dir,
                        const StateFiles& files, CacheUse cache_use,
                        std::optional<LogEntry> arriving = std::nullopt);

  Status check_writable() const { return failure_.check(); }
  Status fail(const Status& cause) { return failure_.fail(cause); }
  void warn(const Status& status) const;
  void note(const std::string& path, const std::string& action, const std::string& reason);

  const std::shared_ptr<StateInterpreter> interpreter_;
  const std::shared_ptr<Storage> storage_;
  const WriteAheadLogOptions options_;
  std::unique_ptr<FileLock> lock_;
  RecoveryReport report_;

  ClientMap<Client> clients_;
  // Keyed by client; an entry's generation is its checkpoint's timestamp, so
  // that it serves only the checkpoint file it was written as.
  segmented::StateCache checkpoint_states_;
  std::atomic<uint64_t> cleared_folders_{0};

  FailureLatch failure_;
};

}  // namespace wal::seed
