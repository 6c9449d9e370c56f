// The segmented layout engine: every client's records in shared, preallocated
// segment files with group commit, and background snapshots that let whole
// segments be retired. docs/format.md describes the bytes; recovery.h how a
// directory is read back; this file how calls are served.
//
// Locking: a client's mutex is held for the whole of a call on that client
// (dedup check, append, wait for durability, index update), so calls for one
// client are serialised and calls for different clients share syncs. A batch
// locks its clients in id order. The writer's lock is innermost. A checkpoint
// holds a client's mutex only to copy its record locations: the records it
// reads are immutable, and only checkpoints retire segments.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "engine.h"
#include "segmented/client_checkpoint.h"
#include "segmented/log_writer.h"
#include "segmented/message_record.h"
#include "segmented/recovery.h"
#include "segmented/segment_allocator.h"
#include "segmented/segment_set.h"
#include "segmented/state_cache.h"
#include "util/client_map.h"
#include "util/failure_latch.h"

namespace wal::segmented {

class SegmentedEngine final : public WriteAheadLog::Engine {
 public:
  static Result<std::unique_ptr<WriteAheadLog::Engine>> open(
      std::shared_ptr<StateInterpreter> interpreter, std::shared_ptr<Storage> storage,
      WriteAheadLogOptions options, std::unique_ptr<FileLock> lock);
  // The same, typed: for walctl repair, which needs snapshot_now().
  static Result<std::unique_ptr<SegmentedEngine>> open_segmented(
      std::shared_ptr<StateInterpreter> interpreter, std::shared_ptr<Storage> storage,
      WriteAheadLogOptions options, std::unique_ptr<FileLock> lock);
  ~SegmentedEngine() override;

  // Takes a snapshot now, whatever the cadence: every segment before the log's
  // current end is then retired, and with it any damage that recovery skipped.
  [[nodiscard]] Status snapshot_now();

  Result<PersistOutcome> persist(std::string_view client_id, const Json& data,
                                 uint64_t message_id) override;
  Result<std::vector<PersistOutcome>> persist_batch(
      const std::vector<PersistRequest>& batch) override;
  Result<Json> retrieve(std::string_view client_id) override;
  Status clear(std::string_view client_id) override;
  Result<std::vector<ClientSummary>> clients() override;
  const RecoveryReport& recovery_report() const override { return report_; }
  Status health() const override { return failure_.check(); }

 private:
  struct SnapshotFile {
    uint64_t number = 0;
    std::string path;
    std::unique_ptr<PositionalFile> file;
  };
  struct SnapshotRef {
    std::shared_ptr<SnapshotFile> file;
    uint64_t offset = 0;
    uint32_t size = 0;
  };
  // What we know of a client; guarded by `mutex`. Locations, never payloads.
  struct Client {
    explicit Client(const DedupOptions& options) : dedup(options) {}
    std::mutex mutex;
    DedupState dedup;
    std::optional<SnapshotRef> snapshot;
    std::vector<Location> records;  // after the snapshot, in log order
    uint64_t generation = 0;        // bumped by clear
  };

  SegmentedEngine(std::shared_ptr<StateInterpreter> interpreter, std::shared_ptr<Storage> storage,
                  WriteAheadLogOptions options);

  Status ensure_layout_file();
  Status start(Recovered recovered);

  // The frame for a message, checked.
  Result<MessageFrame> encode(std::string_view client_id, const Json& data,
                              uint64_t message_id) const;
  // What a client's merged state is made of: its snapshot and the records
  // after it. Either the client's own (the caller holds its mutex) or a copy
  // taken under it, which a checkpoint reads without blocking the client.
  struct StateSources {
    uint64_t generation = 0;
    const std::optional<SnapshotRef>& snapshot;
    std::span<const Location> records;
  };
  // A copy of a client's sources and dedup state, taken under its mutex.
  struct ClientCopy {
    uint64_t generation = 0;
    std::optional<SnapshotRef> snapshot;
    std::vector<Location> records;
    DedupState dedup;
    StateSources sources() const { return {generation, snapshot, records}; }
  };
  // The merged state. A cached state is used only if it merged no record
  // beyond `sources`; `cache_it` keeps the result (only with the client's
  // mutex held, so no write can slip between the sources and the cache).
  Result<Json> merged_state(const std::string& client_id, const StateSources& sources,
                            bool cache_it);
  // A client's snapshot frame: state and, under kExact, the unfolded messages.
  Result<ClientCheckpoint> read_snapshot_frame(const SnapshotRef& ref) const;
  // Reads the records at `locations` (in log order) in blocks (read_blocks.h)
  // and hands each, its frame checked and decoded, to `visit` with the path of
  // its segment for the visitor's own errors. Stops at the first error, the
  // visitor's too.
  using RecordVisitor = std::function<Status(const Location& location, const std::string& path,
                                             const PersistPayload& message)>;
  Status read_records(std::span<const Location> locations, const RecordVisitor& visit) const;
  Result<LogEntry> to_entry(std::pair<uint64_t, Json> record, const std::string& path,
                            uint64_t offset) const;
  // The same for a message frame as read_records hands it over.
  Result<LogEntry> to_entry(const PersistPayload& message, const std::string& path,
                            uint64_t offset) const;
  // The JSON of the client's snapshot frame (client_checkpoint.h); under
  // kExact only the messages at or below the low-water mark fold.
  Result<std::string> client_snapshot_json(const std::string& client_id, const ClientCopy& client);
  bool exact() const { return options_.dedup.policy == DedupPolicy::kExact; }

  uint64_t log_bytes() const;
  bool checkpoint_due() const;
  // The log a snapshot waits for after the last one.
  uint64_t checkpoint_interval() const;
  void retire_superseded(std::shared_ptr<SnapshotFile> snapshot);
  void after_write();
  void request_background_snapshot();
  // writer_->append, asking for a snapshot when the disk is full.
  Result<LogWriter::Appended> append(const std::vector<RecordToAppend>& records);
  bool room_retry_due();
  // A snapshot asked for by a full disk, taken before the next write when
  // snapshots are not taken in the background.
  void make_room_if_asked();
  Status checkpoint();     // when due
  Status take_snapshot();  // the caller holds checkpoint_mutex_
  void run_checkpoints();
  void run_interval_syncs();

  void warn(const Status& status) const;
  // warn() of what start-up skipped or dropped, and of a damaged snapshot it ignored.
  void warn_of_data_let_go() const;

  const std::shared_ptr<StateInterpreter> interpreter_;
  const std::shared_ptr<Storage> storage_;
  const WriteAheadLogOptions options_;
  std::unique_ptr<FileLock> lock_;
  RecoveryReport report_;
  FailureLatch failure_;
  // Persist data frames may be written: false in a directory of layout version 1.
  bool data_frames_ = true;

  SegmentSet segments_;
  std::unique_ptr<SegmentAllocator> allocator_;
  std::unique_ptr<LogWriter> writer_;
  StateCache cache_;

  ClientMap<Client> clients_;

  // Checkpoints: one at a time.
  std::mutex checkpoint_mutex_;
  std::shared_ptr<SnapshotFile> snapshot_;  // the latest; guarded by checkpoint_mutex_
  uint64_t next_snapshot_number_ = 1;
  uint64_t recovered_log_bytes_ = 0;  // log after the snapshot found at start-up
  std::atomic<uint64_t> log_bytes_at_snapshot_{0};
  std::atomic<uint64_t> last_snapshot_bytes_{0};

  // Background threads.
  std::mutex background_mutex_;
  std::condition_variable background_wake_;
  bool stopping_ = false;
  std::atomic<bool> abandon_checkpoint_{false};
  bool checkpoint_requested_ = false;
  // A write found the disk full: a snapshot retires segments, which are then
  // recycled without new space, so writing resumes once a snapshot's worth
  // is free rather than a whole segment's.
  std::atomic<bool> room_asked_{false};
  std::atomic<int64_t> room_asked_at_millis_{std::numeric_limits<int64_t>::min() / 2};
  std::thread checkpoint_thread_;
  std::thread sync_thread_;
};

}  // namespace wal::segmented
