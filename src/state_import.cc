#include "state_import.h"

#include <algorithm>

#include "interpreter/checked_format.h"
#include "seed/file_names.h"
#include "seed/record_codec.h"
#include "segmented/file_names.h"
#include "segmented/layout_file.h"
#include "segmented/snapshot.h"
#include "util/paths.h"
#include "wal/client_id.h"

namespace wal {
namespace {

Status check_empty(Storage& storage, const std::string& base_dir) {
  WAL_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, storage.list_dir(base_dir));
  if (!entries.empty()) {
    return Status::invalid_argument(base_dir + " is not empty: " + entries.front().name +
                                    " is there; states are imported into an empty directory only");
  }
  return Status::ok();
}

class OrderCheck {
 public:
  Status next(std::string_view client_id) {
    WAL_RETURN_IF_ERROR(validate_client_id(client_id));
    if (started_ && client_id <= last_) {
      return Status::invalid_argument(
          "clients must be imported in ascending id order, each once: \"" + std::string(client_id) +
          "\" after \"" + last_ + "\"");
    }
    started_ = true;
    last_ = client_id;
    return Status::ok();
  }

 private:
  bool started_ = false;
  std::string last_;
};

// One folder and one checkpoint per client, as SeedEngine::checkpoint writes it.
class SeedImporter final : public StateImporter {
 public:
  SeedImporter(Storage& storage, std::string base_dir, const StateInterpreter& interpreter)
      : storage_(storage), base_dir_(std::move(base_dir)), interpreter_(interpreter) {}

  Status add(std::string_view client_id, const Json& state, uint64_t max_message_id) override {
    WAL_RETURN_IF_ERROR(order_.next(client_id));
    WAL_ASSIGN_OR_RETURN(Json body, checked_format_checkpoint(interpreter_, state));
    const uint64_t timestamp = storage_.now_millis();
    Json metadata = Json::object();
    metadata["timestamp"] = std::to_string(timestamp);
    metadata["max_message_id"] = max_message_id;
    body["_metadata"] = std::move(metadata);
    const std::string dir = join_path(base_dir_, client_id);
    WAL_ASSIGN_OR_RETURN(bool created, storage_.create_dir(dir));
    if (!created) return Status::invalid_argument(dir + " exists already");
    const std::string name = seed::checkpoint_file_name(timestamp);
    WAL_RETURN_IF_ERROR(write_whole_file(storage_, join_path(dir, name),
                                         join_path(dir, seed::temp_file_name(name)),
                                         seed::encode_completed_file(body)));
    return storage_.sync_dir(dir);
  }

  Status finish() override { return storage_.sync_dir(base_dir_); }

 private:
  Storage& storage_;
  const std::string base_dir_;
  const StateInterpreter& interpreter_;
  OrderCheck order_;
};

// LAYOUT, then one snapshot covering position (1, 0): the log starts empty
// after it, and the first open creates segment 1.
class SegmentedImporter final : public StateImporter {
 public:
  SegmentedImporter(Storage& storage, std::string base_dir, const StateInterpreter& interpreter,
                    std::unique_ptr<segmented::SnapshotWriter> snapshot)
      : storage_(storage),
        base_dir_(std::move(base_dir)),
        interpreter_(interpreter),
        snapshot_(std::move(snapshot)) {}

  Status add(std::string_view client_id, const Json& state, uint64_t max_message_id) override {
    WAL_RETURN_IF_ERROR(order_.next(client_id));
    WAL_ASSIGN_OR_RETURN(Json body, checked_format_checkpoint(interpreter_, state));
    return snapshot_->add_client(client_id, max_message_id, dump_python_style(body)).status();
  }

  Status finish() override {
    // The snapshot's name appears durably only now (rename, directory sync).
    WAL_RETURN_IF_ERROR(snapshot_->finish());
    return storage_.sync_dir(base_dir_);
  }

 private:
  Storage& storage_;
  const std::string base_dir_;
  const StateInterpreter& interpreter_;
  std::unique_ptr<segmented::SnapshotWriter> snapshot_;
  OrderCheck order_;
};

}  // namespace

Result<std::unique_ptr<StateImporter>> StateImporter::create(Storage& storage,
                                                             const std::string& base_dir,
                                                             Layout layout,
                                                             const StateInterpreter& interpreter) {
  WAL_RETURN_IF_ERROR(check_empty(storage, base_dir));
  if (layout == Layout::kSeed) {
    return std::unique_ptr<StateImporter>(new SeedImporter(storage, base_dir, interpreter));
  }
  if (layout != Layout::kSegmented) {
    return Status::invalid_argument("states are imported into the seed or the segmented layout");
  }
  WAL_RETURN_IF_ERROR(segmented::write_layout_file(storage, base_dir));
  WAL_ASSIGN_OR_RETURN(
      std::unique_ptr<segmented::SnapshotWriter> snapshot,
      segmented::SnapshotWriter::create(storage, base_dir, 1, segmented::Position{1, 0}));
  return std::unique_ptr<StateImporter>(
      new SegmentedImporter(storage, base_dir, interpreter, std::move(snapshot)));
}

}  // namespace wal
