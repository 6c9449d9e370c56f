#include "wal/merge_patch_state_interpreter.h"

#include <string>

namespace wal {

Json apply_merge_patch(Json target, const Json& patch) {
  if (!patch.is_object()) return patch;
  if (!target.is_object()) target = Json::object();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      target.erase(key);
    } else {
      auto existing = target.find(key);
      Json base = existing == target.end() ? Json() : std::move(*existing);
      target[key] = apply_merge_patch(std::move(base), value);
    }
  }
  return target;
}

Status MergePatchStateInterpreter::check_data(const Json& data) const {
  if (!data.is_object()) {
    return Status::invalid_argument(
        "the merge-patch interpreter takes a JSON object (a merge patch) as message data, not " +
        std::string(data.type_name()));
  }
  return Status::ok();
}

Json MergePatchStateInterpreter::empty_state() const { return Json::object(); }

Result<Json> MergePatchStateInterpreter::merge_data(Json state,
                                                    const std::vector<LogEntry>& entries) const {
  if (!state.is_object()) return Status::invalid_argument("merge-patch state must be an object");
  for (const LogEntry& entry : entries) {
    if (!entry.data.is_object()) {
      return Status::invalid_argument("message " + std::to_string(entry.message_id) +
                                      " is not a JSON object, so not a merge patch");
    }
    state = apply_merge_patch(std::move(state), entry.data);
  }
  return state;
}

Result<Json> MergePatchStateInterpreter::parse_checkpoint(const Json& body) const {
  WAL_ASSIGN_OR_RETURN(Json state, StateInterpreter::parse_checkpoint(body));
  if (!state.is_object())
    return Status::invalid_argument("merge-patch checkpoint state is not an object");
  return state;
}

}  // namespace wal
