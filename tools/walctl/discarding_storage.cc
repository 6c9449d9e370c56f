#include "discarding_storage.h"

namespace walctl {
namespace {

using wal::Status;

class NullFile final : public wal::WritableFile {
 public:
  Status append(std::string_view) override { return Status::ok(); }
  Status sync() override { return Status::ok(); }
  Status close() override { return Status::ok(); }
};

class ReadingFile final : public wal::PositionalFile {
 public:
  explicit ReadingFile(std::unique_ptr<wal::PositionalFile> base) : base_(std::move(base)) {}
  wal::Result<std::string> read_at(uint64_t offset, size_t n) override {
    return base_->read_at(offset, n);
  }
  Status write_at(uint64_t, std::string_view) override { return Status::ok(); }
  Status truncate(uint64_t) override { return Status::ok(); }
  Status sync() override { return Status::ok(); }
  wal::Result<uint64_t> size() override { return base_->size(); }
  Status close() override { return base_->close(); }

 private:
  std::unique_ptr<wal::PositionalFile> base_;
};

}  // namespace

wal::Result<std::unique_ptr<wal::WritableFile>> DiscardingStorage::new_writable_file(
    const std::string&) {
  return std::unique_ptr<wal::WritableFile>(new NullFile());
}

wal::Result<std::unique_ptr<wal::PositionalFile>> DiscardingStorage::open_positional_file(
    const std::string& path, bool create) {
  if (create) return Status::invalid_argument("a dry run creates no file: " + path);
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<wal::PositionalFile> file,
                       base_.open_positional_file(path, false));
  return std::unique_ptr<wal::PositionalFile>(new ReadingFile(std::move(file)));
}

}  // namespace walctl
