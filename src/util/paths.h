// Path helpers and directory creation shared by the layouts.
#pragma once

#include <string>
#include <string_view>

#include "wal/storage.h"

namespace wal {

std::string join_path(std::string_view directory, std::string_view name);

// The directory holding `path` ("." for a bare name).
std::string parent_of(const std::string& path);

// mkdir -p, syncing the parent of every directory it creates so that the new
// entries survive a power cut.
Status create_dirs_durably(Storage& storage, const std::string& path);

}  // namespace wal
