#include "convert.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include "dedup/policy_file.h"
#include "layout.h"
#include "read_only_storage.h"
#include "seed/client_scan.h"
#include "seed/file_names.h"
#include "seed/state_loader.h"
#include "state_import.h"
#include "util/paths.h"

namespace walctl {
namespace {

using wal::Json;
using wal::Layout;
using wal::Status;

// The seed layout, read file by file as `walctl verify` reads it: opening it
// with the engine would remove what interrupted writes left and create .trash.
class SeedSource final : public ConvertSource {
 public:
  SeedSource(std::shared_ptr<wal::Storage> storage, std::string dir,
             std::shared_ptr<wal::StateInterpreter> interpreter,
             std::unique_ptr<wal::FileLock> lock)
      : storage_(std::move(storage)),
        dir_(std::move(dir)),
        interpreter_(std::move(interpreter)),
        lock_(std::move(lock)) {}

  wal::Result<std::vector<wal::ClientSummary>> clients() override {
    WAL_ASSIGN_OR_RETURN(wal::seed::BaseDirListing listing,
                         wal::seed::list_base_dir(*storage_, dir_));
    std::vector<wal::ClientSummary> out;
    for (const std::string& client : listing.clients) {
      WAL_ASSIGN_OR_RETURN(wal::seed::ClientScan scanned, scan(client));
      out.push_back({client, scanned.max_message_id});
    }
    return out;
  }

  wal::Result<Json> state(const std::string& client_id) override {
    WAL_ASSIGN_OR_RETURN(wal::seed::ClientScan scanned, scan(client_id));
    auto state = wal::seed::load_state(*storage_, *interpreter_, scanned.dir,
                                       wal::seed::state_files(scanned));
    if (!state.is_ok()) return state.status().with_context("client \"" + client_id + "\"");
    return state;
  }

 private:
  wal::Result<wal::seed::ClientScan> scan(const std::string& client_id) {
    WAL_ASSIGN_OR_RETURN(
        wal::seed::ClientScan scanned,
        wal::seed::scan_client(*storage_, wal::join_path(dir_, client_id), client_id));
    if (!scanned.damage.is_ok()) {
      return scanned.damage.with_context("client \"" + client_id +
                                         "\" of the source is damaged (see `walctl verify`)");
    }
    return scanned;
  }

  const std::shared_ptr<wal::Storage> storage_;
  const std::string dir_;
  const std::shared_ptr<wal::StateInterpreter> interpreter_;
  std::unique_ptr<wal::FileLock> lock_;
};

// Any DataPersistence: the segmented source (through ReadOnlyStorage), a
// target when it is checked, an etcd service.
class LogSource final : public ConvertSource {
 public:
  explicit LogSource(std::unique_ptr<wal::DataPersistence> log) : log_(std::move(log)) {}

  wal::Result<std::vector<wal::ClientSummary>> clients() override {
    WAL_ASSIGN_OR_RETURN(std::vector<wal::ClientSummary> all, log_->clients());
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.client_id < b.client_id; });
    return all;
  }

  wal::Result<Json> state(const std::string& client_id) override {
    auto state = log_->retrieve(client_id);
    if (!state.is_ok()) return state.status().with_context("client \"" + client_id + "\"");
    return state;
  }

 private:
  std::unique_ptr<wal::DataPersistence> log_;
};

wal::Result<std::unique_ptr<wal::WriteAheadLog>> open_log(
    std::shared_ptr<wal::Storage> storage, std::shared_ptr<wal::StateInterpreter> interpreter,
    const std::string& dir, Layout layout, wal::RecoveryMode mode) {
  wal::WriteAheadLogOptions options;
  options.service_name = "walctl convert";
  options.base_dir = dir;
  options.layout = layout;
  options.segmented.recovery_mode = mode;
  WAL_ASSIGN_OR_RETURN(options.dedup.policy, wal::read_dedup_policy(*storage, dir));
  options.segmented.background_work = false;
  options.segmented.state_cache_bytes = 0;
  auto warnings = std::make_shared<std::vector<Status>>();
  options.on_warning = [warnings](const Status& warning) { warnings->push_back(warning); };
  auto log = wal::WriteAheadLog::open(std::move(interpreter), std::move(storage), options);
  if (!log.is_ok()) return log.status();
  if (!(*log)->recovery_report().damaged_clients.empty()) {
    return (*log)->recovery_report().damaged_clients.front();
  }
  if (!warnings->empty()) return warnings->front().with_context(dir + " opened with a warning");
  return log;
}

std::string without_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

Status remove_tree(wal::Storage& storage, const std::string& path) {
  WAL_ASSIGN_OR_RETURN(std::vector<wal::DirEntry> entries, storage.list_dir(path));
  for (const wal::DirEntry& entry : entries) {
    const std::string child = wal::join_path(path, entry.name);
    WAL_RETURN_IF_ERROR(entry.type == wal::DirEntry::Type::kDirectory ? remove_tree(storage, child)
                                                                      : storage.remove_file(child));
  }
  return storage.remove_dir(path);
}

// Written into a temporary sibling, checked there, renamed into place.
class LocalTarget final : public ConvertTarget {
 public:
  LocalTarget(std::shared_ptr<wal::Storage> storage,
              std::shared_ptr<wal::StateInterpreter> interpreter, std::string dir, Layout layout)
      : storage_(std::move(storage)),
        interpreter_(std::move(interpreter)),
        dir_(without_trailing_slashes(std::move(dir))),
        temp_dir_(convert_temp_dir(dir_)),
        parent_(wal::parent_of(dir_)),
        layout_(layout) {}

  std::string name() const override { return dir_; }

  Status begin() override {
    auto existing = storage_->list_dir(dir_);
    if (existing.is_ok() && !existing->empty()) {
      return Status::invalid_argument("the target " + dir_ + " is not empty (" +
                                      existing->front().name +
                                      " is there): convert writes only into a new or empty "
                                      "directory");
    }
    if (!existing.is_ok() && existing.status().code() != wal::Code::kNotFound) {
      return existing.status().with_context("the target");
    }
    WAL_RETURN_IF_ERROR(wal::create_dirs_durably(*storage_, parent_));
    if (storage_->list_dir(temp_dir_).is_ok()) {
      // Left by an interrupted convert: never a target, and only convert uses the name.
      WAL_RETURN_IF_ERROR(remove_tree(*storage_, temp_dir_));
      WAL_RETURN_IF_ERROR(storage_->sync_dir(parent_));
    }
    WAL_RETURN_IF_ERROR(wal::create_dirs_durably(*storage_, temp_dir_));
    WAL_ASSIGN_OR_RETURN(importer_,
                         wal::StateImporter::create(*storage_, temp_dir_, layout_, *interpreter_));
    return Status::ok();
  }

  Status add(const std::string& client_id, const Json& state, uint64_t max_message_id) override {
    return importer_->add(client_id, state, max_message_id);
  }

  wal::Result<std::unique_ptr<ConvertSource>> written() override {
    WAL_RETURN_IF_ERROR(importer_->finish());
    importer_.reset();
    return open(temp_dir_);
  }

  Status publish() override {
    // rename(2) replaces an empty directory; the parent's sync makes it durable.
    WAL_RETURN_IF_ERROR(storage_->rename_file(temp_dir_, dir_));
    return storage_->sync_dir(parent_);
  }

  wal::Result<std::unique_ptr<ConvertSource>> published() override { return open(dir_); }

 private:
  wal::Result<std::unique_ptr<ConvertSource>> open(const std::string& dir) {
    WAL_ASSIGN_OR_RETURN(
        std::unique_ptr<wal::WriteAheadLog> log,
        open_log(storage_, interpreter_, dir, layout_, wal::RecoveryMode::kAbsoluteConsistency));
    return std::unique_ptr<ConvertSource>(new LogSource(std::move(log)));
  }

  const std::shared_ptr<wal::Storage> storage_;
  const std::shared_ptr<wal::StateInterpreter> interpreter_;
  const std::string dir_;
  const std::string temp_dir_;
  const std::string parent_;
  const Layout layout_;
  std::unique_ptr<wal::StateImporter> importer_;
};

// Every client of `target` has the mark and the state it has in `source`,
// and no other client is there.
Status check_target(ConvertSource& source, ConvertSource& target,
                    const std::vector<wal::ClientSummary>& expected, bool states,
                    const std::string& target_name) {
  WAL_ASSIGN_OR_RETURN(std::vector<wal::ClientSummary> found, target.clients());
  std::map<std::string, std::optional<uint64_t>> marks;
  for (const auto& client : found) {
    if (client.max_message_id) marks[client.client_id] = client.max_message_id;
  }
  const auto mismatch = [&](const std::string& what) {
    return Status::failed("convert check failed: " + target_name + " " + what);
  };
  if (marks.size() != expected.size()) {
    return mismatch("holds " + std::to_string(marks.size()) + " clients, the source " +
                    std::to_string(expected.size()));
  }
  for (const auto& client : expected) {
    auto it = marks.find(client.client_id);
    if (it == marks.end() || it->second != client.max_message_id) {
      return mismatch("gives client \"" + client.client_id + "\" another highest id");
    }
    if (!states) continue;
    WAL_ASSIGN_OR_RETURN(Json want, source.state(client.client_id));
    WAL_ASSIGN_OR_RETURN(Json got, target.state(client.client_id));
    if (want != got) return mismatch("gives client \"" + client.client_id + "\" another state");
  }
  return Status::ok();
}

}  // namespace

std::unique_ptr<ConvertSource> persistence_source(std::unique_ptr<wal::DataPersistence> log) {
  return std::unique_ptr<ConvertSource>(new LogSource(std::move(log)));
}

wal::Result<std::unique_ptr<ConvertSource>> open_local_source(
    std::shared_ptr<wal::Storage> storage, std::shared_ptr<wal::StateInterpreter> interpreter,
    const std::string& dir, Layout* layout) {
  if (auto listed = storage->list_dir(dir); !listed.is_ok()) {
    return listed.status().with_context("the source " + dir);
  }
  auto read_only = std::make_shared<ReadOnlyStorage>(std::move(storage));
  WAL_ASSIGN_OR_RETURN(*layout, wal::detect_layout(*read_only, dir));
  if (*layout == Layout::kAuto) {
    return Status::invalid_argument(dir + " holds no data of either layout: nothing to convert");
  }
  if (*layout == Layout::kSeed) {
    WAL_ASSIGN_OR_RETURN(std::unique_ptr<wal::FileLock> lock,
                         read_only->lock_file(wal::join_path(dir, wal::seed::kLockFileName)));
    return std::unique_ptr<ConvertSource>(
        new SeedSource(std::move(read_only), dir, std::move(interpreter), std::move(lock)));
  }
  // Any damage, a torn tail included, refuses the open: nothing is cut.
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<wal::WriteAheadLog> log,
                       open_log(read_only, std::move(interpreter), dir, *layout,
                                wal::RecoveryMode::kAbsoluteConsistency));
  return std::unique_ptr<ConvertSource>(new LogSource(std::move(log)));
}

std::unique_ptr<ConvertTarget> local_target(std::shared_ptr<wal::Storage> storage,
                                            std::shared_ptr<wal::StateInterpreter> interpreter,
                                            const std::string& dir, Layout layout) {
  return std::unique_ptr<ConvertTarget>(
      new LocalTarget(std::move(storage), std::move(interpreter), dir, layout));
}

std::string convert_temp_dir(const std::string& target_dir) {
  const std::string target = without_trailing_slashes(target_dir);
  return wal::join_path(wal::parent_of(target), "." + wal::base_name(target) + ".convert-tmp");
}

Status check_distinct(const std::string& source_dir, const std::string& target_dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::path source = fs::weakly_canonical(source_dir, error);
  const fs::path target = fs::weakly_canonical(target_dir, error);
  for (fs::path at = target; !at.empty(); at = at.parent_path()) {
    if (at == source) {
      return Status::invalid_argument("the target " + target_dir + " is the source " + source_dir +
                                      " or inside it");
    }
    if (at == at.parent_path()) break;
  }
  return Status::ok();
}

wal::Result<ConvertSummary> convert(ConvertSource& source, ConvertTarget& target,
                                    const wal::StateInterpreter& interpreter,
                                    const EmitLine& emit) {
  ConvertSummary summary;
  // The whole source first: every client read, checked and merged.
  WAL_ASSIGN_OR_RETURN(std::vector<wal::ClientSummary> all, source.clients());
  std::vector<wal::ClientSummary> expected;
  const Json empty_state = interpreter.empty_state();
  for (const auto& client : all) {
    WAL_ASSIGN_OR_RETURN(Json state, source.state(client.client_id));
    if (client.max_message_id) {
      expected.push_back(client);
    } else if (state == empty_state) {
      ++summary.empty_clients;
    } else {
      return Status::invalid_argument("client \"" + client.client_id +
                                      "\" of the source has a state but no recorded id (a "
                                      "checkpoint with \"max_message_id\": null): its dedup mark "
                                      "cannot be carried");
    }
  }

  WAL_RETURN_IF_ERROR(target.begin());
  for (const auto& client : expected) {
    WAL_ASSIGN_OR_RETURN(Json state, source.state(client.client_id));
    WAL_RETURN_IF_ERROR(target.add(client.client_id, state, *client.max_message_id));
  }
  {
    WAL_ASSIGN_OR_RETURN(std::unique_ptr<ConvertSource> written, target.written());
    Status checked = check_target(source, *written, expected, /*states=*/true, target.name());
    if (!checked.is_ok()) return checked.with_context("the target was not put in place");
  }
  WAL_RETURN_IF_ERROR(target.publish());
  {
    WAL_ASSIGN_OR_RETURN(std::unique_ptr<ConvertSource> published, target.published());
    WAL_RETURN_IF_ERROR(
        check_target(source, *published, expected, /*states=*/false, target.name()));
  }
  summary.clients = expected.size();
  for (const auto& client : expected) {
    Json line = Json::object();
    line["client"] = client.client_id;
    line["max_message_id"] = *client.max_message_id;
    emit(line);
  }
  return summary;
}

wal::Result<LocalConvertSummary> convert_data_dir(
    std::shared_ptr<wal::Storage> storage, std::shared_ptr<wal::StateInterpreter> interpreter,
    const ConvertRequest& request, const EmitLine& emit) {
  const std::string source_dir = without_trailing_slashes(request.source_dir);
  const std::string target_dir = without_trailing_slashes(request.target_dir);
  if (source_dir.empty() || target_dir.empty()) {
    return Status::invalid_argument("convert needs a source (--dir) and a target (--to)");
  }
  WAL_RETURN_IF_ERROR(check_distinct(source_dir, target_dir));
  WAL_ASSIGN_OR_RETURN(const wal::DedupPolicy dedup, wal::read_dedup_policy(*storage, source_dir));
  if (dedup != wal::DedupPolicy::kHighWaterMark) {
    // A target written from merged states and marks would give up the ids
    // still awaited and call them duplicates: refused rather than lossy.
    return Status::invalid_argument(source_dir + " uses the " + wal::dedup_policy_name(dedup) +
                                    " dedup policy, which convert does not carry over yet");
  }
  LocalConvertSummary summary;
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<ConvertSource> source,
                       open_local_source(storage, interpreter, source_dir, &summary.source_layout));
  summary.target_layout = request.target_layout;
  if (summary.target_layout == Layout::kAuto) {
    summary.target_layout =
        summary.source_layout == Layout::kSeed ? Layout::kSegmented : Layout::kSeed;
  }
  std::unique_ptr<ConvertTarget> target =
      local_target(storage, interpreter, target_dir, summary.target_layout);
  WAL_ASSIGN_OR_RETURN(ConvertSummary converted, convert(*source, *target, *interpreter, emit));
  static_cast<ConvertSummary&>(summary) = converted;

  Json line = Json::object();
  line["converted"] = source_dir;
  line["from_layout"] = wal::layout_name(summary.source_layout);
  line["to"] = target_dir;
  line["to_layout"] = wal::layout_name(summary.target_layout);
  line["clients"] = summary.clients;
  line["empty_clients"] = summary.empty_clients;
  line["checked"] = true;
  emit(line);
  return summary;
}

}  // namespace walctl
