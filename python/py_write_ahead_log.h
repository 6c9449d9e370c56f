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

// wal.WriteAheadLog's keyword arguments, as the library's options; a name
// that is not a layout, policy or mode raises wal.InvalidArgument.
struct LogArguments {
  std::string service_name;
  std::string base_dir;
  uint32_t checkpoint_threshold = 0;
  size_t checkpoint_cache_bytes = 0;
  size_t max_record_bytes = 0;
  std::string layout;
  std::string dedup;
  uint64_t dedup_window = 0;
  std::string sync_policy;
  uint32_t sync_interval_ms = 0;
  std::string recovery_mode;
  uint64_t segment_bytes = 0;
  uint64_t checkpoint_bytes = 0;
  size_t state_cache_bytes = 0;
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

// A Python int as a message id: TypeError for other types (bool included),
// wal.InvalidArgument for negative ids and ids above 2^64-1.
uint64_t to_message_id(py::handle message_id);

}  // namespace walpy
