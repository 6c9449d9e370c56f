// wal.WalError and its subclasses, and how a wal::Status becomes one.
//
//   WalError(Exception)
//   ├── InvalidArgument(WalError, ValueError)   kInvalidArgument
//   ├── Corruption                              kCorruption
//   ├── StorageError(WalError, OSError)         kIOError
//   │   ├── NoSpace                             kNoSpace
//   │   └── NotFound                            kNotFound
//   ├── Locked                                  kLocked
//   └── Failed                                  kFailed
//
// str(error) is the library's message (Status::to_string()); the attributes
// code, path and offset carry its parts, and OSError's errno and filename are
// set for StorageError.
#pragma once

#include <exception>
#include <utility>

#include <pybind11/pybind11.h>

#include "wal/status.h"

namespace walpy {

namespace py = pybind11;

// Carries a failed Status from C++ code to the exception translator, so it
// may be thrown without the GIL held.
class StatusError : public std::exception {
 public:
  explicit StatusError(wal::Status status) : status_(std::move(status)) {}
  const wal::Status& status() const { return status_; }
  const char* what() const noexcept override { return status_.message().c_str(); }

 private:
  wal::Status status_;
};

[[noreturn]] inline void throw_status(wal::Status status) { throw StatusError(std::move(status)); }

// The value, or the status raised as a wal.WalError.
template <typename T>
T unwrap(wal::Result<T> result) {
  if (!result.is_ok()) throw_status(result.status());
  return std::move(result).value();
}

// Creates the exception classes in `module` and installs the translator.
void register_exceptions(py::module_& module);

}  // namespace walpy
