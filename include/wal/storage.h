// Storage: the small file-system abstraction everything in wal goes through.
//
// In the spirit of LevelDB's Env: a handful of calls, each returning a Status,
// so that a test double can wrap a real Storage and fail, drop or tear any of
// them. Paths are plain strings; directories are separated by '/'.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wal/status.h"

namespace wal {

// A file opened for writing from its start. Data is durable only after sync().
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status append(std::string_view data) = 0;
  // Makes everything appended so far durable (fdatasync).
  virtual Status sync() = 0;
  virtual Status close() = 0;
};

// A file read and written at explicit offsets. The segmented layout sizes its
// segment files ahead of time and then only overwrites them, so that a sync
// flushes data without changing the file's size (no metadata update).
// read_at and write_at may be called from several threads at once.
class PositionalFile {
 public:
  virtual ~PositionalFile() = default;
  // Up to `n` bytes from `offset`; fewer only where the file ends.
  virtual Result<std::string> read_at(uint64_t offset, size_t n) = 0;
  // Writes all of `data` at `offset`, growing the file if it reaches past its end.
  virtual Status write_at(uint64_t offset, std::string_view data) = 0;
  // Sets the file's size to `size`: cuts what lies past it, or grows the
  // file with zeros (ftruncate). Durable, like a write, after sync().
  virtual Status truncate(uint64_t size) = 0;
  // Makes everything written so far durable (fdatasync).
  virtual Status sync() = 0;
  virtual Result<uint64_t> size() = 0;
  virtual Status close() = 0;
};

// Held while the process owns a data directory; released on destruction.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

struct DirEntry {
  enum class Type { kFile, kDirectory, kOther };
  std::string name;
  Type type = Type::kOther;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Creates or truncates `path` and opens it for writing.
  virtual Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path) = 0;
  // Opens `path` for positional reads and writes, creating it empty when
  // `create` is set and it does not exist. Never truncates. An existing file
  // that may not be written (a read-only file system, or no permission) may
  // be opened for reads only: its writes then fail.
  virtual Result<std::unique_ptr<PositionalFile>> open_positional_file(const std::string& path,
                                                                       bool create) = 0;
  // Reads a whole file. Fails with kNotFound when it does not exist.
  virtual Result<std::string> read_file(const std::string& path) = 0;
  // Makes an existing file's contents durable, e.g. one another process wrote.
  virtual Status sync_file(const std::string& path) = 0;
  // Atomically replaces `to` with `from` (rename(2)). Durable after sync_dir.
  virtual Status rename_file(const std::string& from, const std::string& to) = 0;
  // Removes a file. Durable after sync_dir. Fails with kNotFound when absent.
  virtual Status remove_file(const std::string& path) = 0;
  // Creates a directory; returns true if it was created, false if it existed.
  virtual Result<bool> create_dir(const std::string& path) = 0;
  // Removes an empty directory.
  virtual Status remove_dir(const std::string& path) = 0;
  // Makes the directory's entries (creations, renames, removals) durable.
  virtual Status sync_dir(const std::string& path) = 0;
  // The entries of a directory, without "." and "..", in no particular order.
  virtual Result<std::vector<DirEntry>> list_dir(const std::string& path) = 0;
  // Takes an exclusive lock on `path` (created if needed). Fails with kLocked
  // when another holder, in this process or another, has it.
  virtual Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) = 0;
  // Wall-clock milliseconds since the epoch; file names carry it.
  virtual uint64_t now_millis() = 0;
};

}  // namespace wal
