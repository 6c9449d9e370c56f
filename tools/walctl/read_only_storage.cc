#include "read_only_storage.h"

namespace walctl {
namespace {

// A segment or snapshot opened by the engine: reads pass, writes are refused.
class ReadOnlyFile final : public wal::PositionalFile {
 public:
  ReadOnlyFile(std::unique_ptr<wal::PositionalFile> base, std::string path)
      : base_(std::move(base)), path_(std::move(path)) {}
  wal::Result<std::string> read_at(uint64_t offset, size_t n) override {
    return base_->read_at(offset, n);
  }
  wal::Status write_at(uint64_t, std::string_view) override {
    return ReadOnlyStorage::refused("write", path_);
  }
  wal::Status truncate(uint64_t) override { return ReadOnlyStorage::refused("truncate", path_); }
  wal::Status sync() override { return wal::Status::ok(); }  // nothing was written
  wal::Result<uint64_t> size() override { return base_->size(); }
  wal::Status close() override { return base_->close(); }

 private:
  std::unique_ptr<wal::PositionalFile> base_;
  std::string path_;
};

}  // namespace

wal::Status ReadOnlyStorage::refused(const std::string& what, const std::string& path) {
  return wal::Status::invalid_argument(
      "convert never modifies its source, but reading it would " + what + " " + path +
      " (left by a crash or an interrupted write); open the source once with walctl (for "
      "example `walctl --layout auto --dir SRC clients`) and run `walctl verify`, then convert");
}

wal::Result<std::unique_ptr<wal::WritableFile>> ReadOnlyStorage::new_writable_file(
    const std::string& path) {
  return refused("create", path);
}

wal::Result<std::unique_ptr<wal::PositionalFile>> ReadOnlyStorage::open_positional_file(
    const std::string& path, bool create) {
  if (create) return refused("create", path);
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<wal::PositionalFile> file,
                       base_->open_positional_file(path, false));
  return std::unique_ptr<wal::PositionalFile>(new ReadOnlyFile(std::move(file), path));
}

wal::Result<std::string> ReadOnlyStorage::read_file(const std::string& path) {
  return base_->read_file(path);
}

wal::Status ReadOnlyStorage::sync_file(const std::string& path) { return base_->sync_file(path); }

wal::Status ReadOnlyStorage::rename_file(const std::string& from, const std::string&) {
  return refused("rename", from);
}

wal::Status ReadOnlyStorage::remove_file(const std::string& path) {
  return refused("remove", path);
}

wal::Result<bool> ReadOnlyStorage::create_dir(const std::string& path) {
  if (base_->list_dir(path).is_ok()) return false;  // it exists: nothing to create
  return refused("create the directory", path);
}

wal::Status ReadOnlyStorage::remove_dir(const std::string& path) {
  return refused("remove the directory", path);
}

wal::Status ReadOnlyStorage::sync_dir(const std::string& path) { return base_->sync_dir(path); }

wal::Result<std::vector<wal::DirEntry>> ReadOnlyStorage::list_dir(const std::string& path) {
  return base_->list_dir(path);
}

wal::Result<std::unique_ptr<wal::FileLock>> ReadOnlyStorage::lock_file(const std::string& path) {
  return base_->lock_file(path);
}

uint64_t ReadOnlyStorage::now_millis() { return base_->now_millis(); }

}  // namespace walctl
