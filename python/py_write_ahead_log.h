// PyWriteAheadLog: what wal.WriteAheadLog wraps.
//
// Holds the Python objects of the interpreter and storage so that a Python
// subclass outlives the C++ log that calls it (a shared_ptr to the C++ part
// alone would let Python free the subclass's attributes and overrides).
// Every call into the library runs with the GIL released; a shared mutex lets
// close() wait for calls in flight instead of freeing the log under them.
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>

#include <pybind11/pybind11.h>

#include "wal/write_ahead_log.h"

namespace walpy {

namespace py = pybind11;

// wal.WriteAheadLog's keyword arguments, as the library's options. A name
// that is not a layout, policy or mode, or an int out of its range, raises
// wal.InvalidArgument; what is not an int where one belongs, TypeError.
struct LogArguments {
  std::string service_name;
  std::string base_dir;
  py::handle checkpoint_threshold;
  py::handle checkpoint_cache_bytes;
  py::handle max_record_bytes;
  std::string layout;
  std::string dedup;
  py::handle dedup_window;
  std::string sync_policy;
  py::handle sync_interval_ms;
  std::string recovery_mode;
  py::handle segment_bytes;
  py::handle checkpoint_bytes;
  py::handle state_cache_bytes;
};
wal::WriteAheadLogOptions log_options(const LogArguments& arguments);

class PyWriteAheadLog {
 public:
  // `options` come from the keyword arguments (log_options).
  PyWriteAheadLog(py::object state_interpreter, py::object storage,
                  wal::WriteAheadLogOptions options);
  ~PyWriteAheadLog();

  // "written" or "duplicate".
  std::string persist_outcome(const std::string& client_id, py::handle data, py::handle message_id);
  py::object retrieve(const std::string& client_id);
  void clear(const std::string& client_id);
  // {client_id: highest recorded message id, or None}, sorted by id.
  py::dict clients();
  // Raises the sticky failure that stops writes, if there is one.
  void check_health();
  py::dict recovery_report();
  // Releases base_dir; later calls raise wal.Failed. Idempotent.
  void close();
  bool closed();

  const std::string& service_name() const { return service_name_; }
  const std::string& base_dir() const { return base_dir_; }

 private:
  // Runs `call` on the open log with the GIL released, holding the lock
  // shared. Returns what `call` returned.
  template <typename Call>
  auto with_log(Call&& call);

  py::object state_interpreter_;
  py::object storage_;
  std::string service_name_;
  std::string base_dir_;
  std::shared_mutex mutex_;
  std::unique_ptr<wal::WriteAheadLog> log_;  // null once closed
};

// Closes every log still open. Called at interpreter exit (atexit), before
// finalization: a log's background threads (snapshots with a Python
// interpreter) take the GIL, which they must not do while Python shuts down.
// Needs the GIL.
void close_open_logs();

// A Python int as a message id: TypeError for other types (bool included),
// wal.InvalidArgument for negative ids and ids above 2^64-1.
uint64_t to_message_id(py::handle message_id);

}  // namespace walpy
