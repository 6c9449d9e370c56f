#include "util/paths.h"

namespace wal {

std::string join_path(std::string_view directory, std::string_view name) {
  std::string path(directory);
  if (!path.empty() && path.back() != '/') path += '/';
  path += name;
  return path;
}

std::string parent_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Status create_dirs_durably(Storage& storage, const std::string& path) {
  for (size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
    const std::string prefix = end == std::string::npos ? path : path.substr(0, end);
    if (!prefix.empty() && prefix.back() != '/') {
      WAL_ASSIGN_OR_RETURN(bool created, storage.create_dir(prefix));
      if (created) WAL_RETURN_IF_ERROR(storage.sync_dir(parent_of(prefix)));
    }
    if (end == std::string::npos) return Status::ok();
  }
}

Status write_whole_file(Storage& storage, const std::string& path, const std::string& temp,
                        std::string_view contents) {
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, storage.new_writable_file(temp));
  WAL_RETURN_IF_ERROR(file->append(contents));
  WAL_RETURN_IF_ERROR(file->sync());
  WAL_RETURN_IF_ERROR(file->close());
  return storage.rename_file(temp, path);
}

}  // namespace wal
