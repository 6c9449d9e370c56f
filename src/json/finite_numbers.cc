#include "json/finite_numbers.h"

#include <cmath>
#include <optional>
#include <string>

namespace wal {
namespace {

// The JSON pointer of the first non-finite number below `value`, which is at `path`.
std::optional<std::string> find_non_finite(const Json& value, const std::string& path) {
  if (value.is_number_float()) {
    return std::isfinite(value.get<double>()) ? std::nullopt : std::optional<std::string>(path);
  }
  if (value.is_object()) {
    for (const auto& [key, member] : value.items()) {
      // RFC 6901 escapes: "~" as "~0", "/" as "~1".
      std::string escaped;
      for (char c : key) escaped += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
      if (auto found = find_non_finite(member, path + "/" + escaped)) return found;
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      if (auto found = find_non_finite(value[i], path + "/" + std::to_string(i))) return found;
    }
  }
  return std::nullopt;
}

}  // namespace

Status check_finite_numbers(const Json& value, std::string_view what) {
  auto found = find_non_finite(value, "");
  if (!found) return Status::ok();
  const double number = value.at(Json::json_pointer(*found)).get<double>();
  const std::string shown = std::isnan(number) ? "NaN" : number > 0 ? "Infinity" : "-Infinity";
  return Status::invalid_argument(std::string(what) + " holds " + shown + " at " +
                                  (found->empty() ? std::string("the top level") : *found) +
                                  ", which JSON cannot represent");
}

}  // namespace wal
