// Snapshot files: every client's merged state and highest id as of a log
// position, so that start-up replays only the log after it and whole
// segments before it can be retired. docs/format.md has the bytes.
//
// A snapshot is written under a temporary name, synced, renamed and its
// directory synced: a snapshot name always holds a whole snapshot.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "segmented/payloads.h"
#include "wal/status.h"
#include "wal/storage.h"

namespace wal::segmented {

// Where one client's frame lies in a snapshot file.
struct SnapshotEntry {
  std::string client_id;
  uint64_t max_message_id = 0;
  uint64_t offset = 0;
  uint32_t size = 0;
};

class SnapshotWriter {
 public:
  static Result<std::unique_ptr<SnapshotWriter>> create(Storage& storage,
                                                        const std::string& base_dir,
                                                        uint64_t number, Position covered);
  ~SnapshotWriter();  // abandons an unfinished snapshot: its temporary file goes

  // Adds a client's frame; `json` is the interpreter's checkpoint object.
  Result<SnapshotEntry> add_client(std::string_view client_id, uint64_t max_message_id,
                                   std::string_view json);
  // Closes the file and puts it durably under its final name.
  Status finish();

  const std::string& path() const { return path_; }
  uint64_t bytes() const { return written_ + buffer_.size(); }

 private:
  SnapshotWriter(Storage& storage, std::string base_dir, uint64_t number);
  Status flush_buffer();

  Storage& storage_;
  const std::string base_dir_;
  const uint64_t number_;
  const std::string path_;
  const std::string temp_path_;
  std::unique_ptr<WritableFile> file_;
  std::string buffer_;
  uint64_t written_ = 0;
  uint64_t clients_ = 0;
  bool finished_ = false;
};

struct LoadedSnapshot {
  uint64_t number = 0;
  std::string path;
  Position covered;
  uint64_t bytes = 0;
  std::vector<SnapshotEntry> clients;
};

// Reads and checks a whole snapshot file; damage is kCorruption with path and
// offset. `on_client`, when given, is shown each client frame's JSON; an error
// it returns fails the load.
Result<LoadedSnapshot> load_snapshot(
    Storage& storage, const std::string& path, uint64_t number,
    const std::function<Status(const SnapshotEntry&, std::string_view json)>& on_client = {});

}  // namespace wal::segmented
