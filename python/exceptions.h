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
#include <string>
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

// A text from the library (a message, a reason) as str. It may hold bytes that
// are not UTF-8 (from a file name or a damaged file): those are shown as
// \xNN escapes rather than failing with UnicodeDecodeError.
py::str text_to_python(const std::string& text);

// A path from the library as str, as os.fsdecode would give it, so that
// os.fsencode() returns the bytes on disk.
py::str path_to_python(const std::string& path);

// Creates the exception classes in `module` and installs the translator.
void register_exceptions(py::module_& module);

}  // namespace walpy
