#include "wal/storage.h"

#include <utility>

namespace wal {

namespace {

class StringContents final : public FileContents {
 public:
  explicit StringContents(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string_view bytes() const override { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace

Result<std::unique_ptr<FileContents>> Storage::read_whole_file(const std::string& path) {
  WAL_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  return std::unique_ptr<FileContents>(std::make_unique<StringContents>(std::move(bytes)));
}

}  // namespace wal
