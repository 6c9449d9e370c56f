// PyStateInterpreter: lets a Python subclass of wal.StateInterpreter be the
// log's interpreter.
//
// The log calls an interpreter with the GIL released and possibly while it
// holds a client's lock, so every override takes the GIL itself (inside
// PYBIND11_OVERRIDE). A Python exception must not unwind through the library,
// so it is caught, turned into a Status for the library, and remembered on
// the calling thread; the binding that made the call re-raises the original
// exception when the library reports the failure (take_python_error()).
#pragma once

#include <exception>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>

#include "json_convert.h"
#include "wal/state_interpreter.h"

namespace walpy {

class PyStateInterpreter : public wal::StateInterpreter {
 public:
  std::string name() const override;
  wal::Result<wal::Json> format_data(const wal::Json& data) const override;
  wal::Result<wal::Json> parse_data(const wal::Json& record) const override;
  wal::Json empty_state() const override;
  wal::Result<wal::Json> merge_data(wal::Json state,
                                    const std::vector<wal::LogEntry>& entries) const override;
  wal::Result<wal::Json> format_checkpoint(const wal::Json& state) const override;
  wal::Result<wal::Json> parse_checkpoint(const wal::Json& body) const override;
};

// The exception a Python interpreter method raised on this thread since the
// last call, if any; clears it. Needs the GIL (it may drop a Python object).
std::exception_ptr take_python_error();

// Python's view of the entries merge_data receives: a list of LogEntry copies,
// so a callback may keep them after it returns.
pybind11::list entries_to_python(const std::vector<wal::LogEntry>& entries);

}  // namespace walpy
