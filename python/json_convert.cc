#include "json_convert.h"

#include <cmath>
#include <string>

#include "exceptions.h"

namespace walpy {
namespace {

// Python's json module gives up on cycles and deep nesting too; a depth bound
// catches a list that contains itself without tracking identities.
constexpr int kMaxDepth = 512;

std::string type_name(py::handle object) {
  return py::str(py::type::handle_of(object).attr("__name__")).cast<std::string>();
}

wal::Json int_to_json(py::handle object) {
  int overflow = 0;
  long long as_signed = PyLong_AsLongLongAndOverflow(object.ptr(), &overflow);
  if (overflow == 0) {
    if (as_signed == -1 && PyErr_Occurred()) throw py::error_already_set();
    return wal::Json(static_cast<int64_t>(as_signed));
  }
  if (overflow > 0) {
    unsigned long long as_unsigned = PyLong_AsUnsignedLongLong(object.ptr());
    if (!PyErr_Occurred()) return wal::Json(static_cast<uint64_t>(as_unsigned));
    PyErr_Clear();
  }
  throw_status(wal::Status::invalid_argument(
      "int " + py::str(object).cast<std::string>() +
      " does not fit in 64 bits (JSON numbers are kept as int64 or uint64)"));
}

wal::Json convert(py::handle object, int depth) {
  if (depth > kMaxDepth) {
    throw_status(wal::Status::invalid_argument(
        "data nested more than " + std::to_string(kMaxDepth) + " levels deep (or circular)"));
  }
  if (object.is_none()) return wal::Json(nullptr);
  // bool before int: True is an int in Python.
  if (PyBool_Check(object.ptr())) return wal::Json(object.ptr() == Py_True);
  if (PyLong_Check(object.ptr())) return int_to_json(object);
  if (PyFloat_Check(object.ptr())) {
    double value = PyFloat_AsDouble(object.ptr());
    if (!std::isfinite(value)) {
      throw_status(wal::Status::invalid_argument("float " + py::repr(object).cast<std::string>() +
                                                 " has no JSON form"));
    }
    return wal::Json(value);
  }
  if (PyUnicode_Check(object.ptr())) {
    Py_ssize_t size = 0;
    const char* utf8 = PyUnicode_AsUTF8AndSize(object.ptr(), &size);
    if (utf8 == nullptr) throw py::error_already_set();  // lone surrogates
    return wal::Json(std::string(utf8, static_cast<size_t>(size)));
  }
  if (PyDict_Check(object.ptr())) {
    wal::Json result = wal::Json::object();
    for (auto [key, item] : py::reinterpret_borrow<py::dict>(object)) {
      if (!PyUnicode_Check(key.ptr())) {
        // Not coerced as json.dumps would: 1 and "1" would collide silently.
        throw py::type_error("dict keys must be str, not " + type_name(key));
      }
      result[key.cast<std::string>()] = convert(item, depth + 1);
    }
    return result;
  }
  if (PyList_Check(object.ptr()) || PyTuple_Check(object.ptr())) {
    wal::Json result = wal::Json::array();
    for (py::handle item : py::reinterpret_borrow<py::sequence>(object)) {
      result.push_back(convert(item, depth + 1));
    }
    return result;
  }
  throw py::type_error("object of type " + type_name(object) +
                       " is not JSON data (dict, list, tuple, str, int, float, bool or None)");
}

}  // namespace

wal::Json to_json(py::handle object) { return convert(object, 0); }

py::object to_python(const wal::Json& value) {
  switch (value.type()) {
    case wal::Json::value_t::null:
      return py::none();
    case wal::Json::value_t::boolean:
      return py::bool_(value.get<bool>());
    case wal::Json::value_t::number_integer:
      return py::int_(value.get<int64_t>());
    case wal::Json::value_t::number_unsigned:
      return py::int_(value.get<uint64_t>());
    case wal::Json::value_t::number_float:
      return py::float_(value.get<double>());
    case wal::Json::value_t::string:
      return py::str(value.get_ref<const std::string&>());
    case wal::Json::value_t::array: {
      py::list result(value.size());
      size_t index = 0;
      for (const auto& item : value) result[index++] = to_python(item);
      return result;
    }
    case wal::Json::value_t::object: {
      py::dict result;
      for (const auto& [key, item] : value.items()) result[py::str(key)] = to_python(item);
      return result;
    }
    case wal::Json::value_t::binary:
    case wal::Json::value_t::discarded:
      break;
  }
  throw py::type_error("JSON value of type " + std::string(value.type_name()) +
                       " has no Python form");
}

}  // namespace walpy
