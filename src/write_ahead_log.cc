#include "wal/write_ahead_log.h"

#include <cstdio>
#include <initializer_list>
#include <string>

#include "dedup/policy_file.h"
#include "engine.h"
#include "layout.h"
#include "seed/file_names.h"
#include "seed/seed_engine.h"
#include "segmented/segmented_engine.h"
#include "util/paths.h"

namespace wal {
namespace {

// The one of `values` that `name_of` calls `name`; otherwise kInvalidArgument
// listing every name: "unknown <what> \"x\"; the <plural> are: a, b".
template <typename Enum>
Result<Enum> parse_name(std::string_view name, std::initializer_list<Enum> values,
                        const char* (*name_of)(Enum), std::string_view what,
                        std::string_view plural) {
  std::string names;
  for (Enum value : values) {
    if (name == name_of(value)) return value;
    names += names.empty() ? "" : ", ";
    names += name_of(value);
  }
  return Status::invalid_argument("unknown " + std::string(what) + " \"" + std::string(name) +
                                  "\"; the " + std::string(plural) + " are: " + names);
}

}  // namespace

const char* layout_name(Layout layout) {
  switch (layout) {
    case Layout::kAuto:
      return "auto";
    case Layout::kSeed:
      return "seed";
    case Layout::kSegmented:
      return "segmented";
  }
  return "unknown";
}

Result<Layout> parse_layout(std::string_view name) {
  return parse_name(name, {Layout::kAuto, Layout::kSeed, Layout::kSegmented}, layout_name, "layout",
                    "layouts");
}

Result<DedupPolicy> parse_dedup_policy(std::string_view name) {
  return parse_name(name, {DedupPolicy::kHighWaterMark, DedupPolicy::kExact}, dedup_policy_name,
                    "dedup policy", "policies");
}

const char* sync_policy_name(SyncPolicy policy) {
  switch (policy) {
    case SyncPolicy::kAlways:
      return "always";
    case SyncPolicy::kInterval:
      return "interval";
    case SyncPolicy::kNone:
      return "none";
  }
  return "unknown";
}

Result<SyncPolicy> parse_sync_policy(std::string_view name) {
  return parse_name(name, {SyncPolicy::kAlways, SyncPolicy::kInterval, SyncPolicy::kNone},
                    sync_policy_name, "sync policy", "policies");
}

const char* recovery_mode_name(RecoveryMode mode) {
  switch (mode) {
    case RecoveryMode::kTolerateTornTail:
      return "tolerate-torn-tail";
    case RecoveryMode::kAbsoluteConsistency:
      return "absolute-consistency";
    case RecoveryMode::kPointInTime:
      return "point-in-time";
    case RecoveryMode::kSkipDamaged:
      return "skip-damaged";
  }
  return "unknown";
}

Result<RecoveryMode> parse_recovery_mode(std::string_view name) {
  return parse_name(name,
                    {RecoveryMode::kTolerateTornTail, RecoveryMode::kAbsoluteConsistency,
                     RecoveryMode::kPointInTime, RecoveryMode::kSkipDamaged},
                    recovery_mode_name, "recovery mode", "modes");
}

const char* outcome_name(PersistOutcome outcome) {
  switch (outcome) {
    case PersistOutcome::kWritten:
      return "written";
    case PersistOutcome::kDuplicate:
      return "duplicate";
    case PersistOutcome::kTooOld:
      return "too-old";
  }
  return "unknown";
}

Result<std::unique_ptr<WriteAheadLog>> WriteAheadLog::open(
    std::shared_ptr<StateInterpreter> state_interpreter, std::shared_ptr<Storage> storage,
    WriteAheadLogOptions options) {
  if (!state_interpreter) return Status::invalid_argument("state_interpreter is null");
  if (!storage) return Status::invalid_argument("storage is null");
  if (options.base_dir.empty()) return Status::invalid_argument("base_dir is empty");
  if (options.checkpoint_threshold == 0) {
    return Status::invalid_argument("checkpoint_threshold must be at least 1");
  }
  if (options.dedup.window == 0 || options.dedup.max_gaps == 0) {
    return Status::invalid_argument("dedup.window and dedup.max_gaps must be at least 1");
  }
  if (!options.on_warning) {
    // Never swallowed: without a handler, warnings go where operators look.
    options.on_warning = [service = options.service_name](const Status& status) {
      std::fprintf(stderr, "wal[%s]: warning: %s\n", service.c_str(), status.to_string().c_str());
    };
  }
  // Both layouts lock the same file, so no two instances share a directory
  // whatever layouts they ask for.
  WAL_RETURN_IF_ERROR(create_dirs_durably(*storage, options.base_dir));
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock,
                       storage->lock_file(join_path(options.base_dir, seed::kLockFileName)));
  WAL_ASSIGN_OR_RETURN(Layout found, detect_layout(*storage, options.base_dir));
  WAL_RETURN_IF_ERROR(check_dedup_policy(*storage, options.base_dir, options.dedup.policy,
                                         /*new_directory=*/found == Layout::kAuto));
  WAL_ASSIGN_OR_RETURN(options.layout, choose_layout(options.layout, found, options.base_dir));
  std::unique_ptr<Engine> engine;
  if (options.layout == Layout::kSeed) {
    WAL_ASSIGN_OR_RETURN(engine,
                         seed::SeedEngine::open(std::move(state_interpreter), std::move(storage),
                                                std::move(options), std::move(lock)));
  } else {
    WAL_ASSIGN_OR_RETURN(
        engine, segmented::SegmentedEngine::open(std::move(state_interpreter), std::move(storage),
                                                 std::move(options), std::move(lock)));
  }
  return std::unique_ptr<WriteAheadLog>(new WriteAheadLog(std::move(engine)));
}

WriteAheadLog::WriteAheadLog(std::unique_ptr<Engine> engine) : engine_(std::move(engine)) {}
WriteAheadLog::~WriteAheadLog() = default;

Result<PersistOutcome> WriteAheadLog::persist(std::string_view client_id, const Json& data,
                                              uint64_t message_id) {
  return engine_->persist(client_id, data, message_id);
}

Result<std::vector<PersistOutcome>> WriteAheadLog::persist_batch(
    const std::vector<PersistRequest>& batch) {
  return engine_->persist_batch(batch);
}

Result<Json> WriteAheadLog::retrieve(std::string_view client_id) {
  return engine_->retrieve(client_id);
}

Status WriteAheadLog::clear(std::string_view client_id) { return engine_->clear(client_id); }

Result<std::vector<ClientSummary>> WriteAheadLog::clients() { return engine_->clients(); }

const RecoveryReport& WriteAheadLog::recovery_report() const { return engine_->recovery_report(); }

Status WriteAheadLog::health() const { return engine_->health(); }

}  // namespace wal
