// `walctl repair` of a segmented-layout directory: leaves damage behind so
// that the default open (RecoveryMode kTolerateTornTail) works again, keeping
// every record that checks out and the original bytes of every damaged file.
//
//  1. Finds the damage as verify does: recovery in kSkipDamaged mode on a
//     view that discards writes.
//  2. Copies each damaged segment and snapshot into <dir>/.quarantine/
//     (under a temporary name, synced, renamed, the folder synced). An
//     existing copy is never overwritten: a different one gets a new name.
//  3. Opens the directory in kSkipDamaged mode, which cuts a torn tail and
//     indexes every record that checks out, and takes a snapshot of every
//     client's state at the end of the log. The snapshot retires, by the
//     engine's own crash-safe path, every segment before the end, and with
//     them the damage; damaged snapshots are then removed (their copies are
//     kept). Damage before the end in the last segment stays in its file but
//     is never read again: the snapshot covers it.
//  4. Checks that the directory now opens in the default mode.
//
// A crash at any point leaves the directory as it was (copies aside) or
// repaired; a rerun completes it. It takes the directory's lock: the service
// must be stopped. Nothing is written with dry_run.
#pragma once

#include <memory>
#include <string>

#include "data_dir_report.h"
#include "wal/state_interpreter.h"
#include "wal/storage.h"

namespace walctl {

// Returns the number of damaged files set aside (with dry_run: that would be).
[[nodiscard]] wal::Result<size_t> repair_segmented_dir(
    std::shared_ptr<wal::Storage> storage, std::shared_ptr<wal::StateInterpreter> interpreter,
    const std::string& base_dir, bool dry_run, const EmitLine& emit);

}  // namespace walctl
