#include "convert.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

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

// What convert reads of a source: its clients (sorted by id) and their states.
class Source {
 public:
  virtual ~Source() = default;
  virtual wal::Result<std::vector<wal::ClientSummary>> clients() = 0;
  virtual wal::Result<Json> state(const std::string& client_id) = 0;
};

// The seed layout, read file by file as `walctl verify` reads it: opening it
// with the engine would remove what interrupted writes left and create .trash.
class SeedSource final : public Source {
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

// Any directory a WriteAheadLog opens: the segmented source (through
// ReadOnlyStorage), and the target when it is checked.
class LogSource final : public Source {
 public:
  explicit LogSource(std::unique_ptr<wal::WriteAheadLog> log) : log_(std::move(log)) {}

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
  std::unique_ptr<wal::WriteAheadLog> log_;
};

wal::Result<std::unique_ptr<wal::WriteAheadLog>> open_log(
    std::shared_ptr<wal::Storage> storage, std::shared_ptr<wal::StateInterpreter> interpreter,
    const std::string& dir, Layout layout, wal::RecoveryMode mode) {
  wal::WriteAheadLogOptions options;
  options.service_name = "walctl convert";
  options.base_dir = dir;
  options.layout = layout;
  options.segmented.recovery_mode = mode;
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

wal::Result<std::unique_ptr<Source>> open_source(std::shared_ptr<wal::Storage> storage,
                                                 std::shared_ptr<wal::StateInterpreter> interpreter,
                                                 const std::string& dir, Layout layout) {
  auto read_only = std::make_shared<ReadOnlyStorage>(std::move(storage));
  if (layout == Layout::kSeed) {
    WAL_ASSIGN_OR_RETURN(std::unique_ptr<wal::FileLock> lock,
                         read_only->lock_file(wal::join_path(dir, wal::seed::kLockFileName)));
    return std::unique_ptr<Source>(
        new SeedSource(std::move(read_only), dir, std::move(interpreter), std::move(lock)));
  }
  // Any damage, a torn tail included, refuses the open: nothing is cut.
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<wal::WriteAheadLog> log,
                       open_log(read_only, std::move(interpreter), dir, layout,
                                wal::RecoveryMode::kAbsoluteConsistency));
  return std::unique_ptr<Source>(new LogSource(std::move(log)));
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

// Every client of `target` has the mark and the state it has in `source`,
// and no other client is there.
Status check_target(Source& source, Source& target, const std::vector<wal::ClientSummary>& expected,
                    bool states, const std::string& target_dir) {
  WAL_ASSIGN_OR_RETURN(std::vector<wal::ClientSummary> found, target.clients());
  std::map<std::string, std::optional<uint64_t>> marks;
  for (const auto& client : found) {
    if (client.max_message_id) marks[client.client_id] = client.max_message_id;
  }
  const auto mismatch = [&](const std::string& what) {
    return Status::failed("convert check failed: " + target_dir + " " + what +
                          "; the target was not put in place");
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

std::string convert_temp_dir(const std::string& target_dir) {
  const std::string target = without_trailing_slashes(target_dir);
  const size_t slash = target.rfind('/');
  const std::string name = slash == std::string::npos ? target : target.substr(slash + 1);
  return wal::join_path(wal::parent_of(target), "." + name + ".convert-tmp");
}

wal::Result<ConvertSummary> convert_data_dir(std::shared_ptr<wal::Storage> storage,
                                             std::shared_ptr<wal::StateInterpreter> interpreter,
                                             const ConvertRequest& request, const EmitLine& emit) {
  const std::string source_dir = without_trailing_slashes(request.source_dir);
  const std::string target_dir = without_trailing_slashes(request.target_dir);
  if (source_dir.empty() || target_dir.empty()) {
    return Status::invalid_argument("convert needs a source (--dir) and a target (--to)");
  }
  {
    namespace fs = std::filesystem;
    std::error_code error;
    const fs::path source = fs::weakly_canonical(source_dir, error);
    const fs::path target = fs::weakly_canonical(target_dir, error);
    for (fs::path at = target; !at.empty(); at = at.parent_path()) {
      if (at == source) {
        return Status::invalid_argument("the target " + target_dir + " is the source " +
                                        source_dir + " or inside it");
      }
      if (at == at.parent_path()) break;
    }
  }

  // The source: it must hold data, and every byte of it must check.
  if (auto listed = storage->list_dir(source_dir); !listed.is_ok()) {
    return listed.status().with_context("the source " + source_dir);
  }
  ConvertSummary summary;
  {
    ReadOnlyStorage read_only(storage);
    WAL_ASSIGN_OR_RETURN(summary.source_layout, wal::detect_layout(read_only, source_dir));
  }
  if (summary.source_layout == Layout::kAuto) {
    return Status::invalid_argument(source_dir +
                                    " holds no data of either layout: nothing to convert");
  }
  summary.target_layout = request.target_layout;
  if (summary.target_layout == Layout::kAuto) {
    summary.target_layout =
        summary.source_layout == Layout::kSeed ? Layout::kSegmented : Layout::kSeed;
  }

  // The target: absent or empty.
  auto existing = storage->list_dir(target_dir);
  if (existing.is_ok() && !existing->empty()) {
    return Status::invalid_argument("the target " + target_dir + " is not empty (" +
                                    existing->front().name +
                                    " is there): convert writes only into a new or empty "
                                    "directory");
  }
  if (!existing.is_ok() && existing.status().code() != wal::Code::kNotFound) {
    return existing.status().with_context("the target");
  }

  WAL_ASSIGN_OR_RETURN(std::unique_ptr<Source> source,
                       open_source(storage, interpreter, source_dir, summary.source_layout));
  WAL_ASSIGN_OR_RETURN(std::vector<wal::ClientSummary> all, source->clients());
  std::vector<wal::ClientSummary> expected;
  const Json empty_state = interpreter->empty_state();
  for (const auto& client : all) {
    // Verifies the client: every file read and checked, the state merged.
    WAL_ASSIGN_OR_RETURN(Json state, source->state(client.client_id));
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

  // Written aside, checked, then put in place.
  const std::string temp_dir = convert_temp_dir(target_dir);
  const std::string parent = wal::parent_of(target_dir);
  WAL_RETURN_IF_ERROR(wal::create_dirs_durably(*storage, parent));
  if (storage->list_dir(temp_dir).is_ok()) {
    // Left by an interrupted convert: never a target, and only convert uses the name.
    WAL_RETURN_IF_ERROR(remove_tree(*storage, temp_dir));
    WAL_RETURN_IF_ERROR(storage->sync_dir(parent));
  }
  WAL_RETURN_IF_ERROR(wal::create_dirs_durably(*storage, temp_dir));
  {
    WAL_ASSIGN_OR_RETURN(
        std::unique_ptr<wal::StateImporter> importer,
        wal::StateImporter::create(*storage, temp_dir, summary.target_layout, *interpreter));
    for (const auto& client : expected) {
      WAL_ASSIGN_OR_RETURN(Json state, source->state(client.client_id));
      WAL_RETURN_IF_ERROR(importer->add(client.client_id, state, *client.max_message_id));
    }
    WAL_RETURN_IF_ERROR(importer->finish());
  }
  {
    WAL_ASSIGN_OR_RETURN(std::unique_ptr<wal::WriteAheadLog> log,
                         open_log(storage, interpreter, temp_dir, summary.target_layout,
                                  wal::RecoveryMode::kAbsoluteConsistency));
    LogSource target(std::move(log));
    WAL_RETURN_IF_ERROR(check_target(*source, target, expected, /*states=*/true, temp_dir));
  }
  // rename(2) replaces an empty directory; the parent's sync makes it durable.
  WAL_RETURN_IF_ERROR(storage->rename_file(temp_dir, target_dir));
  WAL_RETURN_IF_ERROR(storage->sync_dir(parent));
  {
    WAL_ASSIGN_OR_RETURN(std::unique_ptr<wal::WriteAheadLog> log,
                         open_log(storage, interpreter, target_dir, summary.target_layout,
                                  wal::RecoveryMode::kAbsoluteConsistency));
    LogSource target(std::move(log));
    WAL_RETURN_IF_ERROR(check_target(*source, target, expected, /*states=*/false, target_dir));
  }
  summary.clients = expected.size();

  for (const auto& client : expected) {
    Json line = Json::object();
    line["client"] = client.client_id;
    line["max_message_id"] = *client.max_message_id;
    emit(line);
  }
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
