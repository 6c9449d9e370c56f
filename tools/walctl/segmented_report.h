// `walctl inspect` and `walctl verify` of a segmented-layout directory
// (docs/format.md). Neither takes the lock nor changes a byte.
//
// inspect describes every file: each segment's frames (persist and clear
// records, whether an end frame closes it, where its data ends, damage with
// offsets), each snapshot (the log position it covers, its clients, or why
// it is damaged), free and temporary files.
//
// verify runs start-up's recovery on a view of the directory that discards
// writes, in the mode that reads past damage, and reports every problem it
// meets: a torn tail (cut off at the next open), damage in the middle of the
// log (the next open refuses the directory), a damaged snapshot, a missing
// segment; each with its file and offset. Then, unless the directory needs
// start-up's clean-up or is in use, it merges every client's state.
#pragma once

#include <string>

#include "data_dir_report.h"
#include "wal/state_interpreter.h"
#include "wal/status.h"
#include "wal/storage.h"

namespace walctl {

wal::Status inspect_segmented_dir(wal::Storage& storage, const std::string& base_dir,
                                  const EmitLine& emit);

// Returns the number of problems found; fails only when the directory cannot be read.
wal::Result<size_t> verify_segmented_dir(std::shared_ptr<wal::Storage> storage,
                                         std::shared_ptr<wal::StateInterpreter> interpreter,
                                         const std::string& base_dir, const EmitLine& emit);

}  // namespace walctl
