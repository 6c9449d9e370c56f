#include "exceptions.h"

#include <string>

namespace walpy {
namespace {

// Owned for the life of the process: the module cannot be unloaded.
struct Classes {
  PyObject* wal_error = nullptr;
  PyObject* invalid_argument = nullptr;
  PyObject* corruption = nullptr;
  PyObject* storage_error = nullptr;
  PyObject* no_space = nullptr;
  PyObject* not_found = nullptr;
  PyObject* locked = nullptr;
  PyObject* failed = nullptr;
};
Classes classes;

// PyErr_NewException takes a tuple of bases, which py::register_exception
// cannot: InvalidArgument must also be a ValueError so that callers who
// catch the built-in keep working.
PyObject* new_class(py::module_& module, const char* name, const char* doc,
                    std::initializer_list<PyObject*> bases) {
  py::tuple base_tuple(bases.size());
  size_t index = 0;
  for (PyObject* base : bases) base_tuple[index++] = py::reinterpret_borrow<py::object>(base);
  std::string qualified = std::string("wal.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, base_tuple.ptr(), nullptr);
  if (type == nullptr) throw py::error_already_set();
  module.attr(name) = py::reinterpret_borrow<py::object>(type);
  return type;
}

PyObject* class_for(wal::Code code) {
  switch (code) {
    case wal::Code::kInvalidArgument:
      return classes.invalid_argument;
    case wal::Code::kCorruption:
      return classes.corruption;
    case wal::Code::kIOError:
      return classes.storage_error;
    case wal::Code::kNoSpace:
      return classes.no_space;
    case wal::Code::kNotFound:
      return classes.not_found;
    case wal::Code::kLocked:
      return classes.locked;
    case wal::Code::kFailed:
      return classes.failed;
    case wal::Code::kOk:
      break;
  }
  return classes.wal_error;
}

void raise_status(const wal::Status& status) {
  PyObject* type = class_for(status.code());
  py::object error = py::reinterpret_borrow<py::object>(type)(text_to_python(status.to_string()));
  error.attr("code") = wal::code_name(status.code());
  error.attr("path") =
      status.path().empty() ? py::object(py::none()) : path_to_python(status.path());
  error.attr("offset") = status.offset() ? py::object(py::int_(*status.offset())) : py::none();
  if (PyObject_IsSubclass(type, PyExc_OSError) == 1) {
    if (status.error_number() != 0) error.attr("errno") = status.error_number();
    if (!status.path().empty()) error.attr("filename") = path_to_python(status.path());
  }
  PyErr_SetObject(type, error.ptr());
}

}  // namespace

py::str text_to_python(const std::string& text) {
  PyObject* decoded =
      PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "backslashreplace");
  if (decoded == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(decoded);
}

py::str path_to_python(const std::string& path) {
  PyObject* decoded =
      PyUnicode_DecodeFSDefaultAndSize(path.data(), static_cast<Py_ssize_t>(path.size()));
  if (decoded == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(decoded);
}

void register_exceptions(py::module_& module) {
  classes.wal_error =
      new_class(module, "WalError", "Base class of every error wal raises.", {PyExc_Exception});
  classes.invalid_argument =
      new_class(module, "InvalidArgument", "The call passed something wal refuses; fix the call.",
                {classes.wal_error, PyExc_ValueError});
  classes.corruption = new_class(
      module, "Corruption", "A file on disk is damaged (path and offset given); run walctl verify.",
      {classes.wal_error});
  classes.storage_error =
      new_class(module, "StorageError", "An operating-system call failed; errno and path given.",
                {classes.wal_error, PyExc_OSError});
  classes.no_space = new_class(module, "NoSpace", "The disk or quota is full: free space, retry.",
                               {classes.storage_error});
  classes.not_found = new_class(module, "NotFound", "A file or directory that must exist is gone.",
                                {classes.storage_error});
  // OSError's str() would print "[Errno 5] None: 'path'" once filename is
  // set; ours is the library's message, which names the operation and what to do.
  py::handle(classes.storage_error).attr("__str__") =
      py::handle(PyExc_BaseException).attr("__str__");
  classes.locked =
      new_class(module, "Locked", "Another instance, in this process or another, holds base_dir.",
                {classes.wal_error});
  classes.failed =
      new_class(module, "Failed", "An earlier durability failure: reopen the log to write again.",
                {classes.wal_error});

  py::register_exception_translator([](std::exception_ptr pending) {
    try {
      if (pending) std::rethrow_exception(pending);
    } catch (const StatusError& error) {
      raise_status(error.status());
    }
  });
}

}  // namespace walpy
