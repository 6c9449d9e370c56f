// Conversion between Python objects and wal::Json, and the pybind11 caster
// that lets bindings and the interpreter trampoline take and return Json.
//
// Python in: dict (str keys only), list, tuple, str, int, float, bool, None.
// Key order is kept. An int outside [-2^63, 2^64) or a NaN/infinite float
// raises wal.InvalidArgument (a ValueError); any other type raises TypeError.
// Every function here needs the GIL.
#pragma once

#include <string>

#include <pybind11/pybind11.h>

#include "wal/json.h"

namespace walpy {

namespace py = pybind11;

wal::Json to_json(py::handle object);
py::object to_python(const wal::Json& value);

// An int (or int subclass) for an error message: its digits, or its size in
// bits when it is too long for str() (which refuses ints of more than 4300
// digits, sys.get_int_max_str_digits(), with a plain ValueError).
std::string describe_int(py::handle integer);

}  // namespace walpy

namespace pybind11::detail {

template <>
struct type_caster<wal::Json> {
  PYBIND11_TYPE_CASTER(wal::Json, const_name("object"));

  // Throws instead of returning false: "not convertible" would hide which
  // element was bad behind pybind11's generic overload-mismatch message.
  bool load(handle source, bool /*convert*/) {
    value = walpy::to_json(source);
    return true;
  }

  static handle cast(const wal::Json& source, return_value_policy /*policy*/, handle /*parent*/) {
    return walpy::to_python(source).release();
  }
};

}  // namespace pybind11::detail
