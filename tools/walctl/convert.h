// `walctl convert`: copies a data directory, or an etcd service, into a new
// one (a directory of either layout, or an etcd service), carrying every
// client's merged state and highest recorded id (its dedup mark) exactly:
// each client arrives as one checkpoint (StateImporter,
// EtcdPersistence::import_state), never as replayed messages, so every
// interpreter's state is kept as it was.
//
// A local source is never modified: it is read through ReadOnlyStorage,
// under its lock. The source is verified whole (every file read and checked,
// every state merged) before anything is written; damage fails the convert
// with kCorruption naming the file. The target must be absent or empty. A
// local target is written into a temporary sibling, `.<name>.convert-tmp`,
// reopened and checked against the source (every client's state and mark),
// and only then renamed into place, so a convert interrupted at any point
// leaves no target, or the empty one there was, never a partial one; the
// next convert to the same target removes the temporary directory. An etcd
// target is marked unfinished while it is written (EtcdPersistence::
// begin_import), and every open refuses it until the check passed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "data_dir_report.h"
#include "wal/data_persistence.h"
#include "wal/state_interpreter.h"
#include "wal/status.h"
#include "wal/storage.h"
#include "wal/write_ahead_log.h"

namespace walctl {

// What convert reads: clients sorted by id, and their merged states.
class ConvertSource {
 public:
  virtual ~ConvertSource() = default;
  virtual wal::Result<std::vector<wal::ClientSummary>> clients() = 0;
  virtual wal::Result<wal::Json> state(const std::string& client_id) = 0;
};

// Where convert writes, in this order: begin (checks the target is empty),
// add per client, written (finishes, and opens what was written for the
// check), publish (makes it the target), published (opens the target).
class ConvertTarget {
 public:
  virtual ~ConvertTarget() = default;
  virtual std::string name() const = 0;  // for messages and the summary
  virtual wal::Status begin() = 0;
  virtual wal::Status add(const std::string& client_id, const wal::Json& state,
                          uint64_t max_message_id) = 0;
  virtual wal::Result<std::unique_ptr<ConvertSource>> written() = 0;
  virtual wal::Status publish() = 0;
  virtual wal::Result<std::unique_ptr<ConvertSource>> published() = 0;
};

// Any DataPersistence read through clients() and retrieve() (etcd).
std::unique_ptr<ConvertSource> persistence_source(std::unique_ptr<wal::DataPersistence> log);

// A local directory, read only; `layout` receives the layout found (kAuto: no data).
wal::Result<std::unique_ptr<ConvertSource>> open_local_source(
    std::shared_ptr<wal::Storage> storage, std::shared_ptr<wal::StateInterpreter> interpreter,
    const std::string& dir, wal::Layout* layout);

// A new local directory in `layout` (kSeed or kSegmented).
std::unique_ptr<ConvertTarget> local_target(std::shared_ptr<wal::Storage> storage,
                                            std::shared_ptr<wal::StateInterpreter> interpreter,
                                            const std::string& dir, wal::Layout layout);

struct ConvertSummary {
  size_t clients = 0;        // converted: each with its state and mark
  size_t empty_clients = 0;  // with nothing recorded: nothing to carry
};

// Verifies the whole source, writes the target, checks it and publishes it.
// Emits one line per client ({"client", "max_message_id"}) once the target
// is in place and checked; the caller prints the summary.
wal::Result<ConvertSummary> convert(ConvertSource& source, ConvertTarget& target,
                                    const wal::StateInterpreter& interpreter, const EmitLine& emit);

// Local to local.
struct ConvertRequest {
  std::string source_dir;
  std::string target_dir;
  // kSeed or kSegmented; kAuto picks the layout the source does not have.
  wal::Layout target_layout = wal::Layout::kAuto;
};

struct LocalConvertSummary : ConvertSummary {
  wal::Layout source_layout = wal::Layout::kAuto;
  wal::Layout target_layout = wal::Layout::kAuto;
};

// The temporary directory a convert to `target_dir` writes into.
std::string convert_temp_dir(const std::string& target_dir);

// Refuses a target that is the source or inside it.
wal::Status check_distinct(const std::string& source_dir, const std::string& target_dir);

// convert() between two local directories; also emits the summary line.
wal::Result<LocalConvertSummary> convert_data_dir(
    std::shared_ptr<wal::Storage> storage, std::shared_ptr<wal::StateInterpreter> interpreter,
    const ConvertRequest& request, const EmitLine& emit);

}  // namespace walctl
