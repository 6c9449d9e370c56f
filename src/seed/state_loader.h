// Reads a client's state from its files: the checkpoint, then the logs after
// it, merged by the interpreter. Used by the engine and by `walctl verify`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "seed/client_scan.h"
#include "wal/state_interpreter.h"
#include "wal/storage.h"

namespace wal::seed {

struct LogRef {
  std::string name;
  uint64_t message_id = 0;
};

// The files that hold a client's state, relative to its folder.
struct StateFiles {
  std::optional<std::string> checkpoint;
  std::vector<LogRef> logs;  // ascending ids, all above the checkpoint's mark
};

// The files a scan found live.
StateFiles state_files(const ClientScan& scan);

// Reads, checks and decodes one whole record; damage is kCorruption.
Result<Json> read_record(Storage& storage, const std::string& path);

// A log file's contents as the entry a merge takes, checked as read_record
// checks a file; damage is kCorruption naming `path`.
Result<LogEntry> decode_log_entry(const StateInterpreter& interpreter, std::string_view contents,
                                  const std::string& path, uint64_t message_id);

// The checkpoint's state: interpreter.empty_state() when there is none.
Result<Json> load_checkpoint(Storage& storage, const StateInterpreter& interpreter,
                             const std::string& dir, const std::optional<std::string>& checkpoint);

// The entries of `logs`, read and parsed, in their order.
Result<std::vector<LogEntry>> read_log_entries(Storage& storage,
                                               const StateInterpreter& interpreter,
                                               const std::string& dir,
                                               const std::vector<LogRef>& logs);

// The merged state: interpreter.empty_state() when there are no files.
Result<Json> load_state(Storage& storage, const StateInterpreter& interpreter,
                        const std::string& dir, const StateFiles& files);

}  // namespace wal::seed
