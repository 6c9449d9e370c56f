#include "py_state_interpreter.h"

#include <utility>

#include "exceptions.h"

namespace walpy {
namespace {

thread_local std::exception_ptr pending_python_error;

// Runs one Python override; what it raises becomes a Status for the library.
template <typename Function>
auto guarded(const char* method, Function&& function) -> decltype(function()) {
  try {
    return function();
  } catch (const StatusError& error) {  // wal.InvalidArgument etc. from our own conversions
    pending_python_error = std::current_exception();
    return error.status().with_context(std::string("Python state interpreter ") + method);
  } catch (const std::exception& error) {  // error_already_set, cast_error, pure virtual
    pending_python_error = std::current_exception();
    return wal::Status::invalid_argument(std::string("Python state interpreter ") + method +
                                         " raised: " + error.what());
  }
}

}  // namespace

std::exception_ptr take_python_error() { return std::exchange(pending_python_error, nullptr); }

pybind11::list entries_to_python(const std::vector<wal::LogEntry>& entries) {
  pybind11::list result(entries.size());
  for (size_t index = 0; index < entries.size(); ++index) {
    result[index] = pybind11::cast(entries[index], pybind11::return_value_policy::copy);
  }
  return result;
}

std::string PyStateInterpreter::name() const {
  try {
    // The _IMPL form: name() is pure in C++, so there is no base to fall back on.
    PYBIND11_OVERRIDE_IMPL(std::string, wal::StateInterpreter, "name", );
  } catch (const std::exception&) {
    // Only used in messages; a broken name() must not hide the real error.
  }
  // Not overridden: the Python class's name. (Also reached through the base
  // binding, so super().name() works.)
  pybind11::gil_scoped_acquire gil;
  pybind11::handle self = pybind11::detail::get_object_handle(
      this, pybind11::detail::get_type_info(typeid(wal::StateInterpreter)));
  if (!self) return "python";
  return pybind11::str(pybind11::type::handle_of(self).attr("__name__")).cast<std::string>();
}

wal::Result<wal::Json> PyStateInterpreter::format_data(const wal::Json& data) const {
  return guarded("format_data", [&]() -> wal::Result<wal::Json> {
    PYBIND11_OVERRIDE(wal::Json, wal::StateInterpreter, format_data, data);
  });
}

wal::Result<wal::Json> PyStateInterpreter::parse_data(const wal::Json& record) const {
  return guarded("parse_data", [&]() -> wal::Result<wal::Json> {
    PYBIND11_OVERRIDE(wal::Json, wal::StateInterpreter, parse_data, record);
  });
}

wal::Json PyStateInterpreter::empty_state() const {
  // The library cannot be told of a failure here, so a failing empty_state
  // yields null and the error is re-raised by the calling binding.
  wal::Result<wal::Json> state = guarded("empty_state", [&]() -> wal::Result<wal::Json> {
    PYBIND11_OVERRIDE_PURE(wal::Json, wal::StateInterpreter, empty_state, );
  });
  return state.is_ok() ? *std::move(state) : wal::Json(nullptr);
}

wal::Result<wal::Json> PyStateInterpreter::merge_data(
    wal::Json state, const std::vector<wal::LogEntry>& entries) const {
  return guarded("merge_data", [&]() -> wal::Result<wal::Json> {
    pybind11::gil_scoped_acquire gil;  // to build the list; the override nests it
    pybind11::list python_entries = entries_to_python(entries);
    PYBIND11_OVERRIDE_PURE(wal::Json, wal::StateInterpreter, merge_data, state, python_entries);
  });
}

wal::Result<wal::Json> PyStateInterpreter::format_checkpoint(const wal::Json& state) const {
  return guarded("format_checkpoint", [&]() -> wal::Result<wal::Json> {
    PYBIND11_OVERRIDE(wal::Json, wal::StateInterpreter, format_checkpoint, state);
  });
}

wal::Result<wal::Json> PyStateInterpreter::parse_checkpoint(const wal::Json& body) const {
  return guarded("parse_checkpoint", [&]() -> wal::Result<wal::Json> {
    PYBIND11_OVERRIDE(wal::Json, wal::StateInterpreter, parse_checkpoint, body);
  });
}

}  // namespace walpy
