// A Storage that reads through to another and refuses to change anything:
// how `walctl convert` opens its source. Reads, listings, syncs of what is
// already there and the directory's lock pass through (the lock file, absent
// in a directory only the original service wrote, is the one thing it may
// create). Every call that would create, write, rename or remove a file fails
// with kInvalidArgument naming it: the source needs recovery (an interrupted
// write, a torn tail, a retired segment) and convert leaves that to an open
// by walctl or the service.
#pragma once

#include <memory>
#include <string>

#include "wal/storage.h"

namespace walctl {

class ReadOnlyStorage final : public wal::Storage {
 public:
  explicit ReadOnlyStorage(std::shared_ptr<wal::Storage> base) : base_(std::move(base)) {}

  wal::Result<std::unique_ptr<wal::WritableFile>> new_writable_file(
      const std::string& path) override;
  wal::Result<std::unique_ptr<wal::PositionalFile>> open_positional_file(const std::string& path,
                                                                         bool create) override;
  wal::Result<std::string> read_file(const std::string& path) override;
  wal::Status sync_file(const std::string& path) override;
  wal::Status rename_file(const std::string& from, const std::string& to) override;
  wal::Status remove_file(const std::string& path) override;
  wal::Result<bool> create_dir(const std::string& path) override;
  wal::Status remove_dir(const std::string& path) override;
  wal::Status sync_dir(const std::string& path) override;
  wal::Result<std::vector<wal::DirEntry>> list_dir(const std::string& path) override;
  wal::Result<std::unique_ptr<wal::FileLock>> lock_file(const std::string& path) override;
  uint64_t now_millis() override;

  // The error every refused call returns.
  static wal::Status refused(const std::string& what, const std::string& path);

 private:
  std::shared_ptr<wal::Storage> base_;
};

}  // namespace walctl
