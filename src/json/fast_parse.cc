#include "json/fast_parse.h"

#include <string>
#include <vector>

#include <simdjson.h>

namespace wal {
namespace {

namespace dom = simdjson::dom;

// Parsers keep their buffers for the next document: one per thread, for
// records. A parser's buffers are about 20 times the largest document it
// took, so large documents (snapshot states) get a parser of their own that
// does not outlive them: a service with many threads does not keep
// megabytes for each.
constexpr size_t kKeptCapacity = 64u << 10;

// Rebuilds `element` as nlohmann's parser would have built it, with an
// explicit stack: simdjson bounds the depth (1024), but a thread's stack may
// be small. False for what must go to nlohmann instead.
bool convert(dom::element root, bool may_hold_negative_zero, Json* out) {
  struct Open {
    Json* target;
    dom::array::iterator array_at, array_end;
    dom::object::iterator object_at, object_end;
    bool is_object;
  };
  std::vector<Open> stack;
  // Sets *target to a scalar, or opens a container for the loop below.
  const auto start = [&](dom::element element, Json* target) -> bool {
    switch (element.type()) {
      case dom::element_type::OBJECT: {
        *target = Json::object();
        const dom::object object = element.get_object().value_unsafe();
        stack.push_back({target, {}, {}, object.begin(), object.end(), true});
        return true;
      }
      case dom::element_type::ARRAY: {
        *target = Json::array();
        const dom::array array = element.get_array().value_unsafe();
        stack.push_back({target, array.begin(), array.end(), {}, {}, false});
        return true;
      }
      case dom::element_type::INT64: {
        const int64_t value = element.get_int64().value_unsafe();
        // nlohmann keeps every integer without a minus sign as unsigned, and
        // "-0" as the signed 0: simdjson gives 0 for both.
        if (value == 0 && may_hold_negative_zero) return false;
        if (value >= 0) {
          *target = static_cast<uint64_t>(value);
        } else {
          *target = value;
        }
        return true;
      }
      case dom::element_type::UINT64:
        *target = element.get_uint64().value_unsafe();
        return true;
      case dom::element_type::DOUBLE:
        *target = element.get_double().value_unsafe();
        return true;
      case dom::element_type::STRING:
        *target = std::string(element.get_string().value_unsafe());
        return true;
      case dom::element_type::BOOL:
        *target = element.get_bool().value_unsafe();
        return true;
      case dom::element_type::NULL_VALUE:
        *target = nullptr;
        return true;
    }
    return false;
  };
  if (!start(root, out)) return false;
  while (!stack.empty()) {
    Open& open = stack.back();
    if (open.is_object) {
      if (open.object_at == open.object_end) {
        stack.pop_back();
        continue;
      }
      const dom::key_value_pair member = *open.object_at;
      ++open.object_at;
      // operator[]: a repeated key keeps its first place and takes the last
      // value, as nlohmann's parser (and a Python dict) does.
      Json& slot = (*open.target)[std::string(member.key)];
      if (!start(member.value, &slot)) return false;
    } else {
      if (open.array_at == open.array_end) {
        stack.pop_back();
        continue;
      }
      const dom::element element = *open.array_at;
      ++open.array_at;
      Json* target = open.target;  // `open` may move when start() pushes
      target->push_back(nullptr);
      if (!start(element, &target->back())) return false;
    }
  }
  return true;
}

}  // namespace

std::optional<Json> parse_json_fast(std::string_view text) {
  thread_local dom::parser kept_parser;
  dom::parser large_parser;
  dom::parser& parser = text.size() <= kKeptCapacity ? kept_parser : large_parser;
  dom::element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) return std::nullopt;
  Json value;
  const bool may_hold_negative_zero = text.find("-0") != std::string_view::npos;
  if (!convert(root, may_hold_negative_zero, &value)) return std::nullopt;
  return value;
}

}  // namespace wal
