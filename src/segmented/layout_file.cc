#include "segmented/layout_file.h"

#include "segmented/file_names.h"
#include "util/paths.h"

namespace wal::segmented {

bool is_readable_layout(std::string_view contents) {
  return contents == kLayoutFileContents || contents == kLayoutFileContentsV1;
}

Status write_layout_file(Storage& storage, const std::string& base_dir) {
  const std::string path = join_path(base_dir, kLayoutFileName);
  WAL_RETURN_IF_ERROR(write_whole_file(storage, path, temp_file_name(path), kLayoutFileContents));
  return storage.sync_dir(base_dir);
}

}  // namespace wal::segmented
