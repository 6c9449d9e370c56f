// `walctl inspect` and `walctl verify`: read-only reports on a seed-layout
// data directory. Neither takes the directory's lock nor changes a byte, so
// both are safe on a directory a service has open (files may then change
// between listing and reading; run verify on a quiescent directory for a
// definitive answer).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "wal/json.h"
#include "wal/state_interpreter.h"
#include "wal/status.h"
#include "wal/storage.h"

namespace walctl {

// What `repair` (either layout) tells of the messages it could not keep.
inline constexpr const char* kLostMessagesNote =
    "messages in what was set aside are no longer part of any state. A client's dedup mark is now "
    "the highest id that checked out: a lost message redelivered with an id above it is written "
    "again; one at or below it is refused as a duplicate under the high-water-mark policy, and "
    "under the exact policy if the files kept still record its id or it is at or below the "
    "client's low-water mark";

// Receives one JSON object per client, then one summary object.
using EmitLine = std::function<void(const wal::Json&)>;

struct ReportScope {
  std::string base_dir;
  std::optional<std::string> client;  // one client, or all of them
};

// Describes every file of every client: kind, ids, and what start-up would do
// with it. Fails only when the directory cannot be read.
wal::Status inspect_data_dir(wal::Storage& storage, const ReportScope& scope, const EmitLine& emit);

// Reads, checks and merges every client's files. Returns the number of damaged
// clients; fails only when the directory cannot be read.
wal::Result<size_t> verify_data_dir(wal::Storage& storage, const wal::StateInterpreter& interpreter,
                                    const ReportScope& scope, const EmitLine& emit);

// `walctl repair`: sets damaged files aside so their clients work again.
// Nothing is deleted: each damaged file moves to <base>/.quarantine/<client>/
// durably (rename, then fsync of both folders), repeatedly while setting one
// aside exposes another (an older checkpoint), and the report says what each
// client's state falls back to. Unlike inspect and verify it takes the
// directory's lock, so it never runs beside a service using the directory.
// Returns the number of files set aside (with dry_run: that would be).
wal::Result<size_t> repair_data_dir(wal::Storage& storage, const wal::StateInterpreter& interpreter,
                                    const ReportScope& scope, bool dry_run, const EmitLine& emit);

}  // namespace walctl
