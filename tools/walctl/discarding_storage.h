// A view of a directory for a dry run of recovery: reads pass through to the
// real storage; every write is accepted and discarded, so recovery runs to
// the end and reports what it would do without changing a byte. verify and
// `repair --dry-run` of the segmented layout run on it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "wal/storage.h"

namespace walctl {

class DiscardingStorage final : public wal::Storage {
 public:
  explicit DiscardingStorage(wal::Storage& base) : base_(base) {}

  wal::Result<std::unique_ptr<wal::WritableFile>> new_writable_file(const std::string&) override;
  wal::Result<std::unique_ptr<wal::PositionalFile>> open_positional_file(const std::string& path,
                                                                         bool create) override;
  wal::Result<std::string> read_file(const std::string& path) override {
    return base_.read_file(path);
  }
  wal::Status sync_file(const std::string&) override { return wal::Status::ok(); }
  wal::Status rename_file(const std::string&, const std::string&) override {
    return wal::Status::ok();
  }
  wal::Status remove_file(const std::string&) override { return wal::Status::ok(); }
  wal::Result<bool> create_dir(const std::string&) override { return false; }
  wal::Status remove_dir(const std::string&) override { return wal::Status::ok(); }
  wal::Status sync_dir(const std::string&) override { return wal::Status::ok(); }
  wal::Result<std::vector<wal::DirEntry>> list_dir(const std::string& path) override {
    return base_.list_dir(path);
  }
  wal::Result<std::unique_ptr<wal::FileLock>> lock_file(const std::string& path) override {
    return wal::Status::invalid_argument("a dry run takes no lock: " + path);
  }
  uint64_t now_millis() override { return base_.now_millis(); }

 private:
  wal::Storage& base_;
};

}  // namespace walctl
