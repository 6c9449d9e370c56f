#include "dedup/saved_json.h"

namespace wal {

Json dedup_to_json(const DedupState::Saved& saved) {
  Json runs = Json::array();
  for (const auto& [first, last] : saved.runs) runs.push_back(Json::array({first, last}));
  return Json{{"low_water_mark", saved.low_water_mark ? Json(*saved.low_water_mark) : Json()},
              {"recorded_from", saved.recorded_from},
              {"runs", std::move(runs)}};
}

Result<DedupState::Saved> dedup_from_json(const Json& value, const std::string& path) {
  const auto malformed = [&](const std::string& what) {
    return Status::corruption(path, 0, "dedup state " + what);
  };
  if (!value.is_object()) return malformed("is not an object");
  DedupState::Saved saved;
  const auto mark = value.find("low_water_mark");
  const auto from = value.find("recorded_from");
  const auto runs = value.find("runs");
  if (mark == value.end() || from == value.end() || runs == value.end()) {
    return malformed("lacks low_water_mark, recorded_from or runs");
  }
  if (!mark->is_null()) {
    if (!mark->is_number_unsigned()) return malformed("has a low_water_mark that is not an id");
    saved.low_water_mark = mark->get<uint64_t>();
  }
  if (!from->is_number_unsigned()) return malformed("has a recorded_from that is not an id");
  saved.recorded_from = from->get<uint64_t>();
  if (!runs->is_array()) return malformed("has runs that are not an array");
  for (const Json& run : *runs) {
    if (!run.is_array() || run.size() != 2 || !run[0].is_number_unsigned() ||
        !run[1].is_number_unsigned()) {
      return malformed("has a run that is not a pair of ids");
    }
    saved.runs.emplace_back(run[0].get<uint64_t>(), run[1].get<uint64_t>());
  }
  if (!DedupState::is_valid(saved)) return malformed("breaks its invariants (overlapping runs?)");
  return saved;
}

}  // namespace wal
