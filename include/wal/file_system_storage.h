// FileSystemStorage: Storage on a POSIX file system.
//
// Retries EINTR and short writes, opens everything O_CLOEXEC, syncs with
// fdatasync(2) and directories with fsync(2), and locks with flock(2) so that
// two instances in one process exclude each other too.
#pragma once

#include "wal/storage.h"

namespace wal {

class FileSystemStorage final : public Storage {
 public:
  Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path) override;
  Result<std::unique_ptr<PositionalFile>> open_positional_file(const std::string& path,
                                                               bool create) override;
  Result<std::string> read_file(const std::string& path) override;
  Status sync_file(const std::string& path) override;
  Status rename_file(const std::string& from, const std::string& to) override;
  Status remove_file(const std::string& path) override;
  Result<bool> create_dir(const std::string& path) override;
  Status remove_dir(const std::string& path) override;
  Status sync_dir(const std::string& path) override;
  Result<std::vector<DirEntry>> list_dir(const std::string& path) override;
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) override;
  uint64_t now_millis() override;
};

}  // namespace wal
