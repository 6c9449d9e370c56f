// Path helpers, directory creation and whole-file writes shared by the layouts.
#pragma once

#include <string>
#include <string_view>

#include "wal/storage.h"

namespace wal {

std::string join_path(std::string_view directory, std::string_view name);

// The directory holding `path` ("." for a bare name).
std::string parent_of(const std::string& path);
// The last component of `path`: the name after its last '/'.
std::string base_name(const std::string& path);

// mkdir -p, syncing the parent of every directory it creates so that the new
// entries survive a power cut.
Status create_dirs_durably(Storage& storage, const std::string& path);

// Writes `contents` whole under `temp`, syncs and closes it, then renames it
// to `path`: a crash never leaves a partial file under a name a reader
// trusts. The caller syncs the directory to make the name durable.
Status write_whole_file(Storage& storage, const std::string& path, const std::string& temp,
                        std::string_view contents);

}  // namespace wal
