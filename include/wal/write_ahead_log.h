// WriteAheadLog: the seed's DataPersistence, on a Storage, made crash-safe.
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
#include "wal/state_interpreter.h"
#include "wal/status.h"
#include "wal/storage.h"

namespace wal {

enum class Layout {
  kSeed,  // the original service's folders and files; see docs/format.md
};

struct WriteAheadLogOptions {
  // Named in messages only; like the original, not part of any path.
  std::string service_name = "wal";
  // One folder per client is created below it.
  std::string base_dir = "/app/wal";
  // A checkpoint consolidates a client's logs once it has this many.
  uint32_t checkpoint_threshold = 3;
  Layout layout = Layout::kSeed;
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
    std::string action;  // "removed" or "ignored"
    std::string reason;
  };
  std::vector<Event> events;
  // Clients whose files are damaged: their calls fail with kCorruption.
  std::vector<Status> damaged_clients;
  size_t clients = 0;
  size_t logs = 0;
  size_t checkpoints = 0;
};

class WriteAheadLog final : public DataPersistence {
 public:
  class Engine;  // one per layout

  // Opens (creating it if needed) options.base_dir, takes its lock, removes
  // debris of interrupted writes and recovers every client's dedup mark.
  static Result<std::unique_ptr<WriteAheadLog>> open(
      std::shared_ptr<StateInterpreter> state_interpreter, std::shared_ptr<Storage> storage,
      WriteAheadLogOptions options);

  ~WriteAheadLog() override;

  Result<PersistOutcome> persist(std::string_view client_id, const Json& data,
                                 uint64_t message_id) override;
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
