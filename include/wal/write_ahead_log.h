// WriteAheadLog: the seed's DataPersistence, on a Storage, made crash-safe,
// in one of two on-disk layouts (docs/format.md).
//
//   auto storage = std::make_shared<wal::FileSystemStorage>();
//   auto interpreter = std::make_shared<wal::ConsumerStateInterpreter>();
//   wal::WriteAheadLogOptions options;
//   options.base_dir = "/app/persistence";
//   auto log = wal::WriteAheadLog::open(interpreter, storage, options);
//   if (!log.is_ok()) { /* log.status().to_string() says why */ }
//   auto outcome = (*log)->persist("client123", {{"content", "data"}}, 5);
//
// Thread-safe: calls for different clients run in parallel, calls for one
// client are serialised. One instance per base directory, enforced by a lock
// file. After a failed sync the instance refuses further writes (kFailed)
// until it is reopened, because the kernel may have dropped the dirty pages.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wal/data_persistence.h"
#include "wal/dedup_policy.h"
#include "wal/state_interpreter.h"
#include "wal/status.h"
#include "wal/storage.h"

namespace wal {

enum class Layout {
  kAuto,       // the layout of the existing directory; kSegmented for a new one
  kSeed,       // the original service's folders and files; see docs/format.md
  kSegmented,  // shared, preallocated segment files and snapshots; see docs/format.md
};

const char* layout_name(Layout layout);
// The layout named "auto", "seed" or "segmented"; kInvalidArgument otherwise.
Result<Layout> parse_layout(std::string_view name);

// The policy named "high-water-mark" or "exact"; kInvalidArgument otherwise.
Result<DedupPolicy> parse_dedup_policy(std::string_view name);

// When a write of the segmented layout is durable.
enum class SyncPolicy {
  // fdatasync before persist returns: a returned kWritten survives a power cut.
  kAlways,
  // persist returns once the record is written to the operating system; a
  // background fdatasync runs every sync_interval_ms. A process crash loses
  // nothing; a power cut or kernel crash loses at most the acknowledged
  // messages of the last interval (plus the time one sync takes).
  kInterval,
  // fdatasync only when a segment ends and at close. Unsafe: a power cut or
  // kernel crash may lose any number of acknowledged messages. For tests and
  // data that can be rebuilt.
  kNone,
};

const char* sync_policy_name(SyncPolicy policy);
// The policy named "always", "interval" or "none"; kInvalidArgument otherwise.
Result<SyncPolicy> parse_sync_policy(std::string_view name);

// What opening a segmented directory does with damaged log records (in the
// spirit of RocksDB's WALRecoveryMode). A torn tail is the last record(s) of
// the log left incomplete or zero-filled by a crash in the middle of a write
// that was never acknowledged; damage anywhere else was acknowledged data.
enum class RecoveryMode {
  // The default. A torn tail is cut off and reported; any other damage fails
  // the open with kCorruption naming the file and offset.
  kTolerateTornTail,
  // Any damage, a torn tail included, fails the open: for directories that
  // were closed cleanly and must be exactly as left.
  kAbsoluteConsistency,
  // Recovers up to the first damaged record and drops everything after it
  // (reported, and removed from disk so it stays dropped): a consistent
  // state as of some point in time, losing acknowledged messages.
  kPointInTime,
  // Skips every damaged record and keeps everything that checks out, as
  // reported events. Clients may miss messages in the middle of their history.
  kSkipDamaged,
};

const char* recovery_mode_name(RecoveryMode mode);
// The mode named "tolerate-torn-tail", "absolute-consistency", "point-in-time"
// or "skip-damaged"; kInvalidArgument otherwise.
Result<RecoveryMode> parse_recovery_mode(std::string_view name);

// Settings of the segmented layout (the seed layout ignores them).
struct SegmentedOptions {
  SyncPolicy sync_policy = SyncPolicy::kAlways;
  uint32_t sync_interval_ms = 50;  // kInterval: the bound on the loss window
  RecoveryMode recovery_mode = RecoveryMode::kTolerateTornTail;
  // Size of each new segment file (at least 4096), zero-filled ahead of use;
  // one recycled from a superseded snapshot keeps the snapshot's size. A
  // message must fit in a segment of segment_bytes: its record JSON and
  // client id plus 60 bytes of framing, whatever max_record_bytes allows.
  uint64_t segment_bytes = 8u << 20;
  // A snapshot is taken after this many bytes of log, or after twice as many
  // bytes as the last snapshot holds if that is more, so that rewriting
  // snapshots costs at most about half as much I/O as the log itself.
  // Start-up replays, and retrieve reads back, at most that much log.
  uint64_t checkpoint_bytes = 8u << 20;
  // Merged states kept in memory for retrieve, counted by the bytes of the
  // records they were built from. 0 disables the cache.
  size_t state_cache_bytes = 16u << 20;
  // Files a snapshot retires (the segments it covers, and the snapshot it
  // supersedes) are kept to be recycled as segments while their bytes stay
  // within the log the next snapshot waits for; beyond that, this many no
  // longer than a segment. 0 keeps none: every retired file is removed.
  uint32_t recycled_segments = 2;
  // Snapshots and segment preparation on background threads. When false they
  // run inside the persist call that needs them (deterministic, for tests).
  bool background_work = true;
};

struct WriteAheadLogOptions {
  // Named in messages only; like the original, not part of any path.
  std::string service_name = "wal";
  // Created if needed. Seed layout: one folder per client below it.
  std::string base_dir = "/app/wal";
  // Seed layout: a checkpoint consolidates a client's logs once it has this
  // many; the message that reaches it is written only in the checkpoint.
  uint32_t checkpoint_threshold = 3;
  // Seed layout: the states of the checkpoints this instance wrote, kept in
  // memory (least recently used first out) so that the next checkpoint and
  // retrieve merge the newer logs into them instead of reading the
  // checkpoint file back; counted by the files' sizes. 0 keeps none.
  size_t checkpoint_cache_bytes = 16u << 20;
  // A layout that contradicts the existing directory fails with kInvalidArgument.
  Layout layout = Layout::kAuto;
  SegmentedOptions segmented;
  // How persist tells a duplicate. The policy is recorded in the directory
  // (.wal.dedup) when it is kExact: opening a directory with the other policy
  // than it was written with fails with kInvalidArgument.
  DedupOptions dedup;
  // Largest accepted record (the serialised JSON); larger data is refused.
  size_t max_record_bytes = 16u << 20;
  // Told of problems that do not fail the call: a checkpoint that failed and
  // will be retried, damage found at start-up. May be called from any thread.
  // When empty, warnings are printed to stderr.
  std::function<void(const Status&)> on_warning;
};

// What start-up found and did, for operators and tests.
struct RecoveryReport {
  struct Event {
    std::string path;
    // "removed", "ignored", "retired", "truncated" (a torn tail), "skipped"
    // (kSkipDamaged) or "dropped" (kPointInTime)
    std::string action;
    std::string reason;
  };
  std::vector<Event> events;
  // Clients whose files are damaged: their calls fail with kCorruption.
  std::vector<Status> damaged_clients;
  Layout layout = Layout::kSeed;
  size_t clients = 0;
  size_t logs = 0;         // seed: log files; segmented: segments read
  size_t checkpoints = 0;  // seed: checkpoint files; segmented: 1 when a snapshot was loaded
  size_t records = 0;      // segmented: records replayed after the snapshot
  bool torn_tail = false;  // segmented: a torn tail was cut off
};

class WriteAheadLog final : public DataPersistence {
 public:
  class Engine;  // one per layout

  // Opens (creating it if needed) options.base_dir, takes its lock, picks the
  // layout, removes debris of interrupted writes and recovers every client's
  // dedup mark.
  static Result<std::unique_ptr<WriteAheadLog>> open(
      std::shared_ptr<StateInterpreter> state_interpreter, std::shared_ptr<Storage> storage,
      WriteAheadLogOptions options);

  ~WriteAheadLog() override;

  Result<PersistOutcome> persist(std::string_view client_id, const Json& data,
                                 uint64_t message_id) override;
  Result<std::vector<PersistOutcome>> persist_batch(
      const std::vector<PersistRequest>& batch) override;
  Result<Json> retrieve(std::string_view client_id) override;
  Status clear(std::string_view client_id) override;
  Result<std::vector<ClientSummary>> clients() override;

  const RecoveryReport& recovery_report() const;
  // OK, or the sticky failure that makes every write fail until reopened.
  Status health() const;

 private:
  explicit WriteAheadLog(std::unique_ptr<Engine> engine);
  std::unique_ptr<Engine> engine_;
};

}  // namespace wal
