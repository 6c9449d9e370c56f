#include "data_dir_report.h"

#include <vector>

#include "dedup/policy_file.h"
#include "seed/client_scan.h"
#include "seed/file_names.h"
#include "seed/state_loader.h"
#include "wal/client_id.h"

namespace walctl {
namespace {

using wal::Json;
using wal::seed::ClientScan;
using wal::seed::Disposition;
using wal::seed::FileKind;
using wal::seed::ScannedFile;

constexpr const char* kRepairAdvice =
    "the client refuses calls until this is resolved: keep a copy of the folder, then either move "
    "the damaged file out of it (its message is then missing from the state) or clear the client";

const char* kind_name(FileKind kind) {
  switch (kind) {
    case FileKind::kLog:
      return "log";
    case FileKind::kCheckpoint:
      return "checkpoint";
    case FileKind::kTemp:
      return "temporary";
    case FileKind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

Json optional_id(const std::optional<uint64_t>& id) { return id ? Json(*id) : Json(nullptr); }

Json describe_file(const ScannedFile& file) {
  Json out = Json::object();
  out["name"] = file.name;
  out["kind"] = kind_name(file.kind);
  out["disposition"] = wal::seed::disposition_name(file.disposition);
  out["removed_at_open"] = wal::seed::is_removable(file.disposition);
  if (file.kind == FileKind::kLog) out["message_id"] = file.message_id;
  if (file.kind == FileKind::kCheckpoint && file.read) {
    out["max_message_id"] = optional_id(file.max_message_id);
  }
  if (file.read) out["checksummed"] = file.checksummed;
  if (!file.problem.is_ok()) out["problem"] = file.problem.to_string();
  return out;
}

// The clients in scope, and the entries of the base directory that are not.
struct Scope {
  std::vector<std::string> clients;
  std::vector<std::string> debris;
  std::vector<wal::seed::BaseDirListing::Ignored> ignored;
};

wal::Result<Scope> resolve(wal::Storage& storage, const ReportScope& scope) {
  Scope resolved;
  if (scope.client) {
    WAL_RETURN_IF_ERROR(wal::validate_client_id(*scope.client));
    resolved.clients.push_back(*scope.client);
    return resolved;
  }
  auto listing = wal::seed::list_base_dir(storage, scope.base_dir);
  if (!listing.is_ok()) {
    return listing.status().with_context("cannot list the data directory " + scope.base_dir);
  }
  resolved.clients = std::move(listing->clients);
  resolved.debris = std::move(listing->debris);
  resolved.ignored = std::move(listing->ignored);
  return resolved;
}

wal::Result<ClientScan> scan(wal::Storage& storage, const std::string& base_dir,
                             const std::string& client) {
  const std::string dir = wal::seed::join_path(base_dir, client);
  // The directory's policy says what its checkpoints must carry.
  WAL_ASSIGN_OR_RETURN(const wal::DedupPolicy policy, wal::read_dedup_policy(storage, base_dir));
  auto scanned = wal::seed::scan_client(storage, dir, client, policy);
  if (!scanned.is_ok() && scanned.status().code() == wal::Code::kNotFound) {
    return wal::Status::not_found(dir, "client \"" + client + "\" has no folder");
  }
  return scanned;
}

Json ignored_line(const wal::seed::BaseDirListing::Ignored& entry) {
  Json out = Json::object();
  out["ignored"] = entry.name;
  out["reason"] = entry.reason;
  return out;
}

}  // namespace

wal::Status inspect_data_dir(wal::Storage& storage, const ReportScope& scope,
                             const EmitLine& emit) {
  WAL_ASSIGN_OR_RETURN(Scope resolved, resolve(storage, scope));
  size_t damaged = 0;
  for (const std::string& client : resolved.clients) {
    WAL_ASSIGN_OR_RETURN(ClientScan scanned, scan(storage, scope.base_dir, client));
    Json out = Json::object();
    out["client"] = client;
    out["max_message_id"] = optional_id(scanned.max_message_id);
    out["checkpoint"] =
        scanned.checkpoint ? Json(scanned.file(*scanned.checkpoint).name) : Json(nullptr);
    out["live_logs"] = scanned.live_logs.size();
    out["damaged"] = !scanned.damage.is_ok();
    Json files = Json::array();
    for (const ScannedFile& file : scanned.files) files.push_back(describe_file(file));
    out["files"] = std::move(files);
    damaged += scanned.damage.is_ok() ? 0 : 1;
    emit(out);
  }
  for (const std::string& name : resolved.debris) {
    emit(Json{{"file", name}, {"kind", "temporary"}, {"removed_at_open", true}});
  }
  for (const auto& entry : resolved.ignored) emit(ignored_line(entry));
  Json summary = Json::object();
  summary["clients"] = resolved.clients.size();
  summary["damaged"] = damaged;
  summary["ignored"] = resolved.ignored.size();
  emit(summary);
  return wal::Status::ok();
}

wal::Result<size_t> verify_data_dir(wal::Storage& storage, const wal::StateInterpreter& interpreter,
                                    const ReportScope& scope, const EmitLine& emit) {
  WAL_ASSIGN_OR_RETURN(Scope resolved, resolve(storage, scope));
  size_t damaged = 0;
  size_t messages = 0;
  for (const std::string& client : resolved.clients) {
    WAL_ASSIGN_OR_RETURN(ClientScan scanned, scan(storage, scope.base_dir, client));
    Json out = Json::object();
    out["client"] = client;
    Json problems = Json::array();
    for (const ScannedFile& file : scanned.files) {
      if (file.disposition == Disposition::kDamaged) problems.push_back(file.problem.to_string());
    }
    if (problems.empty()) {
      // Every file is whole and checked: the merge must succeed too.
      auto state =
          wal::seed::load_state(storage, interpreter, scanned.dir, wal::seed::state_files(scanned));
      if (!state.is_ok()) problems.push_back(state.status().to_string());
    }
    out["ok"] = problems.empty();
    out["max_message_id"] = optional_id(scanned.max_message_id);
    out["live_logs"] = scanned.live_logs.size();
    out["checkpoint"] =
        scanned.checkpoint ? Json(scanned.file(*scanned.checkpoint).name) : Json(nullptr);
    if (!problems.empty()) {
      out["problems"] = std::move(problems);
      out["what_to_do"] = kRepairAdvice;
      ++damaged;
    }
    messages += scanned.live_logs.size();
    emit(out);
  }
  for (const auto& entry : resolved.ignored) emit(ignored_line(entry));
  Json summary = Json::object();
  summary["verified_clients"] = resolved.clients.size();
  summary["damaged_clients"] = damaged;
  summary["live_logs"] = messages;
  summary["ignored"] = resolved.ignored.size();
  emit(summary);
  return damaged;
}

namespace {

std::vector<std::string> damaged_files(const ClientScan& scanned) {
  std::vector<std::string> names;
  for (const ScannedFile& file : scanned.files) {
    if (file.disposition == Disposition::kDamaged) names.push_back(file.name);
  }
  return names;
}

// Creates `path` if needed, syncing its parent when it was created.
wal::Status ensure_dir(wal::Storage& storage, const std::string& parent, const std::string& name) {
  const std::string path = wal::seed::join_path(parent, name);
  WAL_ASSIGN_OR_RETURN(bool created, storage.create_dir(path));
  if (created) WAL_RETURN_IF_ERROR(storage.sync_dir(parent));
  return wal::Status::ok();
}

wal::Status quarantine(wal::Storage& storage, const std::string& base_dir,
                       const ClientScan& scanned, const std::vector<std::string>& names) {
  const std::string quarantine_root = wal::seed::join_path(base_dir, wal::seed::kQuarantineDirName);
  WAL_RETURN_IF_ERROR(ensure_dir(storage, base_dir, std::string(wal::seed::kQuarantineDirName)));
  WAL_RETURN_IF_ERROR(ensure_dir(storage, quarantine_root, scanned.client_id));
  const std::string target = wal::seed::join_path(quarantine_root, scanned.client_id);
  for (const std::string& name : names) {
    WAL_RETURN_IF_ERROR(storage.rename_file(wal::seed::join_path(scanned.dir, name),
                                            wal::seed::join_path(target, name)));
  }
  // The new names first: a crash between the two syncs leaves the file in
  // both folders' durable listings at worst, never in neither.
  WAL_RETURN_IF_ERROR(storage.sync_dir(target));
  return storage.sync_dir(scanned.dir);
}

}  // namespace

wal::Result<size_t> repair_data_dir(wal::Storage& storage, const wal::StateInterpreter& interpreter,
                                    const ReportScope& scope, bool dry_run, const EmitLine& emit) {
  auto lock = storage.lock_file(wal::seed::join_path(scope.base_dir, wal::seed::kLockFileName));
  if (!lock.is_ok()) {
    return lock.status().with_context("repair needs the directory to itself; stop the service");
  }
  WAL_ASSIGN_OR_RETURN(Scope resolved, resolve(storage, scope));
  size_t moved = 0;
  size_t repaired = 0;
  for (const std::string& client : resolved.clients) {
    WAL_ASSIGN_OR_RETURN(ClientScan scanned, scan(storage, scope.base_dir, client));
    if (scanned.damage.is_ok()) continue;
    Json out = Json::object();
    out["client"] = client;
    Json set_aside = Json::array();
    // Setting a damaged checkpoint aside may expose an older one to check.
    while (!scanned.damage.is_ok()) {
      const std::vector<std::string> names = damaged_files(scanned);
      if (names.empty()) break;
      for (const std::string& name : names) set_aside.push_back(name);
      moved += names.size();
      if (dry_run) break;
      WAL_RETURN_IF_ERROR(quarantine(storage, scope.base_dir, scanned, names));
      WAL_ASSIGN_OR_RETURN(scanned, scan(storage, scope.base_dir, client));
    }
    out[dry_run ? "would_set_aside" : "set_aside"] = std::move(set_aside);
    if (!dry_run) {
      auto state =
          wal::seed::load_state(storage, interpreter, scanned.dir, wal::seed::state_files(scanned));
      out["ok"] = scanned.damage.is_ok() && state.is_ok();
      out["max_message_id_now"] = optional_id(scanned.max_message_id);
      out["quarantine"] = wal::seed::join_path(
          wal::seed::join_path(scope.base_dir, wal::seed::kQuarantineDirName), client);
      out["note"] = kLostMessagesNote;
      if (!state.is_ok()) out["problem"] = state.status().to_string();
      repaired += scanned.damage.is_ok() ? 1 : 0;
    }
    emit(out);
  }
  Json summary = Json::object();
  summary[dry_run ? "files_that_would_be_set_aside" : "files_set_aside"] = moved;
  if (!dry_run) summary["clients_repaired"] = repaired;
  emit(summary);
  return moved;
}

}  // namespace walctl
