#include "json_convert.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

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
      "int " + describe_int(object) +
      " does not fit in 64 bits (JSON numbers are kept as int64 or uint64)"));
}

// A str's UTF-8; UnicodeEncodeError for lone surrogates.
std::string utf8_of(py::handle text) {
  Py_ssize_t size = 0;
  const char* utf8 = PyUnicode_AsUTF8AndSize(text.ptr(), &size);
  if (utf8 == nullptr) throw py::error_already_set();
  return std::string(utf8, static_cast<size_t>(size));
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
  if (PyUnicode_Check(object.ptr())) return wal::Json(utf8_of(object));
  // Converting an item may run Python code (a list subclass's __iter__) that
  // empties the container; so every key and item is held by an owned
  // reference while it is converted.
  if (PyDict_Check(object.ptr())) {
    wal::Json result = wal::Json::object();
    const Py_ssize_t size = PyDict_GET_SIZE(object.ptr());
    Py_ssize_t position = 0;
    PyObject* borrowed_key = nullptr;
    PyObject* borrowed_item = nullptr;
    while (PyDict_Next(object.ptr(), &position, &borrowed_key, &borrowed_item) != 0) {
      const py::object key = py::reinterpret_borrow<py::object>(borrowed_key);
      const py::object item = py::reinterpret_borrow<py::object>(borrowed_item);
      if (!PyUnicode_Check(key.ptr())) {
        // Not coerced as json.dumps would: 1 and "1" would collide silently.
        throw py::type_error("dict keys must be str, not " + type_name(key));
      }
      std::string name = utf8_of(key);
      result[std::move(name)] = convert(item, depth + 1);
      // As Python's own iteration: the positions mean nothing once it changed.
      if (PyDict_GET_SIZE(object.ptr()) != size) {
        throw std::runtime_error("dictionary changed size during conversion to JSON");
      }
    }
    return result;
  }
  if (PyList_Check(object.ptr()) || PyTuple_Check(object.ptr())) {
    // The items as iteration gives them, as json.dumps does: a list subclass's
    // __getitem__ is not called. A list or tuple is used as it is.
    const py::object sequence = py::reinterpret_steal<py::object>(
        PySequence_Fast(object.ptr(), "expected a list or tuple"));
    if (!sequence) throw py::error_already_set();
    wal::Json result = wal::Json::array();
    // The size is read again each time: a list may shrink while converting.
    for (Py_ssize_t index = 0; index < PySequence_Fast_GET_SIZE(sequence.ptr()); ++index) {
      const py::object item =
          py::reinterpret_borrow<py::object>(PySequence_Fast_GET_ITEM(sequence.ptr(), index));
      result.push_back(convert(item, depth + 1));
    }
    return result;
  }
  throw py::type_error("object of type " + type_name(object) +
                       " is not JSON data (dict, list, tuple, str, int, float, bool or None)");
}

}  // namespace

std::string describe_int(py::handle integer) {
  // int.bit_length, not the object's method: a subclass may override it.
  const py::object bit_length = py::module_::import("builtins").attr("int").attr("bit_length");
  const size_t bits = bit_length(integer).cast<size_t>();
  // Far below the smallest limit Python allows (640 digits, about 2126 bits).
  constexpr size_t kMaxBitsShown = 256;
  if (bits <= kMaxBitsShown) return py::str(integer).cast<std::string>();
  int overflow = 0;  // its sign, without calling a subclass's methods
  PyLong_AsLongLongAndOverflow(integer.ptr(), &overflow);
  return "of " + std::to_string(bits) + " bits" + (overflow < 0 ? " (negative)" : "");
}

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
