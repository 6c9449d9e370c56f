#include "wal/list_state_interpreter.h"

namespace wal {
namespace {

constexpr const char* kMessages = "messages";

bool is_list_state(const Json& state) {
  return state.is_object() && state.size() == 1 && state.contains(kMessages) &&
         state[kMessages].is_array();
}

}  // namespace

Json ListStateInterpreter::empty_state() const {
  Json state = Json::object();
  state[kMessages] = Json::array();
  return state;
}

Result<Json> ListStateInterpreter::merge_data(Json state,
                                              const std::vector<LogEntry>& entries) const {
  if (!is_list_state(state)) {
    return Status::invalid_argument("list state must be {\"messages\": [...]}");
  }
  Json& messages = state[kMessages];
  for (const LogEntry& entry : entries) messages.push_back(entry.data);
  return state;
}

Result<Json> ListStateInterpreter::parse_checkpoint(const Json& body) const {
  WAL_ASSIGN_OR_RETURN(Json state, StateInterpreter::parse_checkpoint(body));
  if (!is_list_state(state)) {
    return Status::invalid_argument("list checkpoint state is not {\"messages\": [...]}");
  }
  return state;
}

}  // namespace wal
