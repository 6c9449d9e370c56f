// `walctl convert`: copies a data directory into a new one of the other (or
// the same) layout, carrying every client's merged state and highest
// recorded id (its dedup mark) exactly, through StateImporter: each client
// arrives as one checkpoint, never as replayed messages, so every
// interpreter's state is kept as it was.
//
// The source is never modified: it is read through ReadOnlyStorage, under its
// lock. It is verified whole (every file read and checked, every state
// merged) before anything is written; damage fails the convert with
// kCorruption naming the file. The target must be absent or an empty
// directory. It is written into a temporary sibling,
// `.<name>.convert-tmp`, reopened and checked against the source (every
// client's state and mark), and only then renamed into place, so a convert
// interrupted at any point leaves no target, or the empty one there was,
// never a partial one. A leftover temporary directory is removed by the next
// convert to the same target.
#pragma once

#include <memory>
#include <string>

#include "data_dir_report.h"
#include "wal/state_interpreter.h"
#include "wal/status.h"
#include "wal/storage.h"
#include "wal/write_ahead_log.h"

namespace walctl {

struct ConvertRequest {
  std::string source_dir;
  std::string target_dir;
  // kSeed or kSegmented; kAuto picks the layout the source does not have.
  wal::Layout target_layout = wal::Layout::kAuto;
};

struct ConvertSummary {
  wal::Layout source_layout = wal::Layout::kAuto;
  wal::Layout target_layout = wal::Layout::kAuto;
  size_t clients = 0;        // converted: each with its state and mark
  size_t empty_clients = 0;  // with nothing recorded: nothing to carry
};

// The temporary directory a convert to `target_dir` writes into.
std::string convert_temp_dir(const std::string& target_dir);

// Converts; emits one line per client ({"client", "max_message_id"}) and
// then the summary line, both after the target is in place and checked.
wal::Result<ConvertSummary> convert_data_dir(std::shared_ptr<wal::Storage> storage,
                                             std::shared_ptr<wal::StateInterpreter> interpreter,
                                             const ConvertRequest& request, const EmitLine& emit);

}  // namespace walctl
