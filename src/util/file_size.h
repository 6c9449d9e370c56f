// The size of a file through the Storage abstraction, which has no stat: by
// opening it (without creating it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "wal/status.h"
#include "wal/storage.h"

namespace wal {

inline Result<uint64_t> file_size(Storage& storage, const std::string& path) {
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<PositionalFile> file,
                       storage.open_positional_file(path, false));
  return file->size();
}

}  // namespace wal
