#include "data_dir_report.h"

#include <vector>

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
  resolved.ignored = std::move(listing->ignored);
  return resolved;
}

wal::Result<ClientScan> scan(wal::Storage& storage, const std::string& base_dir,
                             const std::string& client) {
  const std::string dir = wal::seed::join_path(base_dir, client);
  auto scanned = wal::seed::scan_client(storage, dir, client);
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

}  // namespace walctl
