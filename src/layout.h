// Which layout a base directory holds, told from what is in it, and which
// layout an open uses given what was asked for.
#pragma once

#include <string>

#include "wal/storage.h"
#include "wal/write_ahead_log.h"

namespace wal {

// kSegmented when the segmented layout's LAYOUT file is there; kSeed when
// there are client folders (or clients being cleared); kSegmented when
// there are segments or snapshots without a LAYOUT file; kAuto when the
// directory holds no data of either.
Result<Layout> detect_layout(Storage& storage, const std::string& base_dir);

// The layout to open with: what the directory holds, or for a directory with
// no data the one requested (kSegmented for kAuto). A request that
// contradicts the directory is kInvalidArgument.
Result<Layout> choose_layout(Layout requested, Layout found, const std::string& base_dir);

}  // namespace wal
