#include "json/finite_numbers.h"

#include <cmath>
#include <optional>
#include <string>
#include <string_view>

#include "util/small_stack.h"

namespace wal {
namespace {

// RFC 6901 escapes: "~" as "~0", "/" as "~1".
std::string pointer_token(std::string_view key) {
  std::string token;
  for (char c : key) token += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return token;
}

// A container being searched, and the index of its next member.
struct Frame {
  const Json* container;
  size_t next;
};

const Json::object_t::value_type& object_member(const Json& object, size_t index) {
  return *(object.get_ref<const Json::object_t&>().begin() + index);
}

const Json& member_at(const Json& container, size_t index) {
  if (container.is_object()) return object_member(container, index).second;
  return container.get_ref<const Json::array_t&>()[index];
}

using FrameStack = SmallStack<Frame, 64>;

// The JSON pointer of the member each frame of `stack` last visited.
std::string pointer_of(const FrameStack& stack) {
  std::string pointer;
  for (size_t i = 0; i < stack.size(); ++i) {
    const Frame& frame = stack[i];
    const size_t index = frame.next - 1;
    pointer += '/';
    pointer += frame.container->is_object()
                   ? pointer_token(object_member(*frame.container, index).first)
                   : std::to_string(index);
  }
  return pointer;
}

bool is_non_finite(const Json& value) {
  return value.is_number_float() && !std::isfinite(value.get<double>());
}

// The JSON pointer of the first non-finite number in `value`. An explicit
// stack, not recursion: a deeply nested document from outside must not
// overflow the call stack, and a clean walk builds no path at all.
std::optional<std::string> find_non_finite(const Json& value) {
  if (is_non_finite(value)) return std::string();
  FrameStack stack;
  if (!value.empty() && value.is_structured()) stack.push({&value, 0});
  std::optional<std::string> found;
  while (!stack.empty() && !found) {
    Frame& frame = stack.back();
    if (frame.next == frame.container->size()) {
      stack.pop();
      continue;
    }
    const Json& member = member_at(*frame.container, frame.next++);
    if (is_non_finite(member)) {
      found = pointer_of(stack);
    } else if (member.is_structured() && !member.empty()) {
      stack.push({&member, 0});  // `frame` is not used past this point
    }
  }
  return found;
}

}  // namespace

Status check_finite_numbers(const Json& value, std::string_view what) {
  const std::optional<std::string> pointer = find_non_finite(value);
  if (!pointer) return Status::ok();
  const double number = value.at(Json::json_pointer(*pointer)).get<double>();
  const std::string shown = std::isnan(number) ? "NaN" : number > 0 ? "Infinity" : "-Infinity";
  return Status::invalid_argument(std::string(what) + " holds " + shown + " at " +
                                  (pointer->empty() ? std::string("the top level") : *pointer) +
                                  ", which JSON cannot represent");
}

}  // namespace wal
