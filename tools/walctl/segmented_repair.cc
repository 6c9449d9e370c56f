#include "segmented_repair.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "dedup/policy_file.h"
#include "seed/file_names.h"
#include "segmented/file_names.h"
#include "segmented/segmented_engine.h"
#include "segmented_damage.h"
#include "util/paths.h"

namespace walctl {
namespace {

namespace seg = wal::segmented;
using wal::Json;
using wal::Status;

// A damaged file, read once, and what the report says of it.
struct DamagedFile {
  std::string path;
  std::optional<std::string> bytes;  // none when the file is missing
  bool keep = false;                 // its bytes go to the quarantine
  bool snapshot = false;
};

// Copies `bytes` to <quarantine>/<name> durably: a temporary file, synced,
// renamed, the folder synced. A copy already there with the same bytes (a
// rerun) is kept; one with other bytes is never overwritten.
wal::Result<std::string> keep_copy(wal::Storage& storage, const std::string& quarantine,
                                   const std::string& name, const std::string& bytes) {
  WAL_RETURN_IF_ERROR(wal::create_dirs_durably(storage, quarantine));
  for (int copy = 0;; ++copy) {
    const std::string target =
        wal::join_path(quarantine, copy == 0 ? name : name + "." + std::to_string(copy));
    auto existing = storage.read_file(target);
    if (existing.is_ok()) {
      if (*existing == bytes) return target;
      continue;
    }
    if (existing.status().code() != wal::Code::kNotFound) return existing.status();
    const std::string temp = seg::temp_file_name(target);
    WAL_ASSIGN_OR_RETURN(std::unique_ptr<wal::WritableFile> file, storage.new_writable_file(temp));
    WAL_RETURN_IF_ERROR(file->append(bytes));
    WAL_RETURN_IF_ERROR(file->sync());
    WAL_RETURN_IF_ERROR(file->close());
    WAL_RETURN_IF_ERROR(storage.rename_file(temp, target));
    WAL_RETURN_IF_ERROR(storage.sync_dir(quarantine));
    return target;
  }
}

wal::Result<std::set<std::string>> segment_names(wal::Storage& storage,
                                                 const std::string& base_dir) {
  WAL_ASSIGN_OR_RETURN(std::vector<wal::DirEntry> entries, storage.list_dir(base_dir));
  std::set<std::string> names;
  for (const wal::DirEntry& entry : entries) {
    if (seg::parse_file_name(entry.name).kind == seg::FileKind::kSegment) names.insert(entry.name);
  }
  return names;
}

// New segments the size of the existing ones: the engine may need one. The
// most common size, the smallest of a tie: zero-filled segments all have
// segment_bytes, while one recycled from a snapshot keeps the snapshot's
// larger size and a damaged one may have been cut short. Repair writes no
// message, so a size that is too small costs nothing.
uint64_t segment_bytes_of(const seg::Recovered& recovered) {
  std::map<uint64_t, int> sizes;
  for (const auto& segment : recovered.segments) ++sizes[segment->capacity];
  for (const auto& segment : recovered.ready) ++sizes[segment->capacity];
  uint64_t bytes = 0;
  int most = 0;
  for (const auto& [size, count] : sizes) {
    if (count <= most) continue;  // ties go to the smaller size
    bytes = size;
    most = count;
  }
  return bytes >= 4096 ? bytes : wal::SegmentedOptions{}.segment_bytes;
}

// One line per damage: where, what, and which records it held as far as
// their headers still read.
Json describe(const SegmentedDamage& damage, const DamagedFile& file) {
  Json out = Json::object();
  out["file"] = base_name(damage.path);
  if (damage.offset) out["offset"] = *damage.offset;
  out["problem"] = damage.action == "truncated" ? "torn tail (never acknowledged): " + damage.reason
                                                : damage.reason;
  if (file.bytes && (damage.offset || damage.snapshot)) {
    const uint64_t number = seg::parse_file_name(base_name(damage.path)).number;
    out["affected"] = records_in_damage(*file.bytes, number, damage.snapshot ? 0 : *damage.offset,
                                        damage.snapshot);
  } else {
    out["affected"] = "unknown: the records of a missing segment cannot be read";
  }
  return out;
}

void add_clients(const Json& line, std::set<std::string>* clients) {
  if (!line["affected"].is_object()) return;
  for (const Json& record : line["affected"]["records"]) {
    clients->insert(record["client"].get<std::string>());
  }
}

// Opens in kSkipDamaged mode and snapshots every client's state at the end
// of the log; the segments before it, damage and all, are retired.
Status snapshot_past_damage(std::shared_ptr<wal::Storage> storage,
                            std::shared_ptr<wal::StateInterpreter> interpreter,
                            const std::string& base_dir, uint64_t segment_bytes,
                            std::unique_ptr<wal::FileLock> lock,
                            const std::vector<std::string>& damaged_snapshots,
                            const EmitLine& emit) {
  wal::WriteAheadLogOptions options;
  options.base_dir = base_dir;
  options.layout = wal::Layout::kSegmented;
  options.segmented.recovery_mode = wal::RecoveryMode::kSkipDamaged;
  // The engine is opened directly, past WriteAheadLog::open's policy check.
  WAL_ASSIGN_OR_RETURN(options.dedup.policy, wal::read_dedup_policy(*storage, base_dir));
  options.segmented.background_work = false;
  options.segmented.segment_bytes = segment_bytes;
  options.segmented.checkpoint_bytes = std::numeric_limits<uint64_t>::max() / 2;
  options.on_warning = [&emit](const Status& warning) {
    emit(Json{{"warning", warning.to_string()}});
  };
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<seg::SegmentedEngine> engine,
                       seg::SegmentedEngine::open_segmented(std::move(interpreter), storage,
                                                            options, std::move(lock)));
  for (const auto& event : engine->recovery_report().events) {
    if (event.action == "truncated" || event.action == "removed" || event.action == "retired") {
      emit(Json{{"file", base_name(event.path)}, {"done", event.action}, {"reason", event.reason}});
    }
  }
  WAL_RETURN_IF_ERROR(engine->snapshot_now());
  WAL_RETURN_IF_ERROR(engine->health());
  // The new snapshot supersedes them; their bytes are in the quarantine.
  for (const std::string& path : damaged_snapshots) {
    WAL_RETURN_IF_ERROR(storage->remove_file(path));
    emit(Json{{"file", base_name(path)},
              {"done", "removed"},
              {"reason",
               "damaged snapshot, kept "
               "in the quarantine"}});
  }
  if (!damaged_snapshots.empty()) WAL_RETURN_IF_ERROR(storage->sync_dir(base_dir));
  return Status::ok();
}

}  // namespace

wal::Result<size_t> repair_segmented_dir(std::shared_ptr<wal::Storage> storage,
                                         std::shared_ptr<wal::StateInterpreter> interpreter,
                                         const std::string& base_dir, bool dry_run,
                                         const EmitLine& emit) {
  auto lock = storage->lock_file(wal::join_path(base_dir, wal::seed::kLockFileName));
  if (!lock.is_ok()) {
    return lock.status().with_context("repair needs the directory to itself; stop the service");
  }
  WAL_ASSIGN_OR_RETURN(SegmentedSurvey survey,
                       survey_segmented_dir(*storage, base_dir, wal::RecoveryMode::kSkipDamaged));
  const std::string quarantine =
      wal::join_path(base_dir, std::string(wal::seed::kQuarantineDirName));

  std::map<std::string, DamagedFile> files;
  for (const SegmentedDamage& damage : survey.damage) {
    DamagedFile& file = files[damage.path];
    if (file.path.empty()) {
      file.path = damage.path;
      file.snapshot = damage.snapshot;
      auto bytes = storage->read_file(damage.path);
      if (bytes.is_ok()) {
        file.bytes = std::move(bytes).value();
      } else if (bytes.status().code() != wal::Code::kNotFound) {
        return bytes.status();
      }
    }
    // Damage the file holds, not only a gap it follows.
    file.keep = file.keep || (file.bytes && (damage.offset || damage.snapshot));
  }

  std::set<std::string> clients;
  for (const SegmentedDamage& damage : survey.damage) {
    Json line = describe(damage, files[damage.path]);
    add_clients(line, &clients);
    emit(line);
  }
  size_t kept = 0;
  std::vector<std::string> damaged_snapshots;
  for (const auto& [path, file] : files) {
    if (!file.keep) continue;
    ++kept;
    if (file.snapshot) damaged_snapshots.push_back(path);
    if (dry_run) {
      emit(Json{{"file", base_name(path)}, {"would_set_aside", quarantine}});
      continue;
    }
    WAL_ASSIGN_OR_RETURN(std::string copy,
                         keep_copy(*storage, quarantine, base_name(path), *file.bytes));
    emit(Json{{"file", base_name(path)}, {"set_aside", copy}});
  }

  Json summary = Json::object();
  summary["layout"] = "segmented";
  summary["damage"] = survey.damage.size();
  summary["affected_clients"] = clients;
  if (dry_run || survey.damage.empty()) {
    summary[dry_run ? "files_that_would_be_set_aside" : "files_set_aside"] = kept;
    if (survey.damage.empty()) summary["note"] = "nothing to repair";
    emit(summary);
    return kept;
  }

  WAL_ASSIGN_OR_RETURN(std::set<std::string> before, segment_names(*storage, base_dir));
  const uint64_t segment_bytes = segment_bytes_of(survey.recovered);
  survey = SegmentedSurvey{};  // closes the files it read
  WAL_RETURN_IF_ERROR(snapshot_past_damage(storage, std::move(interpreter), base_dir, segment_bytes,
                                           std::move(lock).value(), damaged_snapshots, emit)
                          .with_context("repair stopped part-way: the directory is as "
                                        "before or repaired, the copies in " +
                                        quarantine + " stay; run walctl repair again"));
  WAL_ASSIGN_OR_RETURN(std::set<std::string> after, segment_names(*storage, base_dir));
  std::vector<std::string> retired;
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                      std::back_inserter(retired));

  // The proof: the default open reads the directory without complaint.
  auto check = survey_segmented_dir(*storage, base_dir, wal::RecoveryMode::kTolerateTornTail);
  if (!check.is_ok()) {
    return check.status().with_context("repair did not leave a directory the default open reads");
  }
  summary["files_set_aside"] = kept;
  summary["quarantine"] = quarantine;
  summary["segments_retired"] = retired;
  summary["snapshot"] =
      check->recovered.snapshot ? Json(base_name(check->recovered.snapshot->path)) : Json(nullptr);
  summary["opens_by_default"] = check->damage.empty();
  summary["note"] = kLostMessagesNote;
  emit(summary);
  return kept;
}

}  // namespace walctl
