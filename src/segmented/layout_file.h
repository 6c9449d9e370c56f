// The LAYOUT file, which says that a directory holds the segmented layout and
// in which version; docs/format.md ("The segmented layout") has the versions.
#pragma once

#include <string>
#include <string_view>

#include "wal/status.h"
#include "wal/storage.h"

namespace wal::segmented {

// True for the contents of a LAYOUT this build reads (version 1 or 2).
bool is_readable_layout(std::string_view contents);

// Writes LAYOUT for the current version durably: under a temporary name,
// synced, renamed into place, and the directory synced.
Status write_layout_file(Storage& storage, const std::string& base_dir);

}  // namespace wal::segmented
