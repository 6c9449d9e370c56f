// Strict JSON equality for tests and fuzz targets: Json's operator== calls
// 1, 1u and 1.0 equal and 0.0 and -0.0 too, but a record read back must keep
// which one it was.
#pragma once

#include <cmath>
#include <string>

#include "wal/json.h"

namespace wal {

// The first difference of value, type, key order or float sign between `a`
// and `b`, or "" when they are identical.
inline std::string json_difference(const Json& a, const Json& b) {
  if (a.type() != b.type()) {
    return a.dump() + " is a " + a.type_name() + ", " + b.dump() + " a " + b.type_name();
  }
  if (a.is_object() || a.is_array()) {
    if (a.size() != b.size()) return a.dump() + " vs " + b.dump();
    auto it = b.begin();
    for (auto at = a.begin(); at != a.end(); ++at, ++it) {
      if (a.is_object() && at.key() != it.key()) return "key " + at.key() + " vs " + it.key();
      if (std::string difference = json_difference(*at, *it); !difference.empty()) {
        return difference;
      }
    }
    return "";
  }
  if (a.is_number_float() && std::signbit(a.get<double>()) != std::signbit(b.get<double>())) {
    return "the signs of " + a.dump() + " and " + b.dump();
  }
  return a == b ? "" : a.dump() + " vs " + b.dump();
}

}  // namespace wal
