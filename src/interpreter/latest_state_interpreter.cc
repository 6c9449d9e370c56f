#include "wal/latest_state_interpreter.h"

namespace wal {
namespace {

constexpr const char* kMessageId = "message_id";
constexpr const char* kData = "data";

bool is_latest_state(const Json& state) {
  return state.is_object() && state.size() == 2 && state.contains(kMessageId) &&
         state.contains(kData) &&
         (state[kMessageId].is_null() || state[kMessageId].is_number_unsigned());
}

}  // namespace

Json LatestStateInterpreter::empty_state() const {
  Json state = Json::object();
  state[kMessageId] = nullptr;
  state[kData] = nullptr;
  return state;
}

Result<Json> LatestStateInterpreter::merge_data(Json state,
                                                const std::vector<LogEntry>& entries) const {
  if (!is_latest_state(state)) {
    return Status::invalid_argument("latest state must be {\"message_id\": ..., \"data\": ...}");
  }
  if (entries.empty()) return state;
  // Entries come in ascending id order: the last one is the latest.
  state[kMessageId] = entries.back().message_id;
  state[kData] = entries.back().data;
  return state;
}

Result<Json> LatestStateInterpreter::parse_checkpoint(const Json& body) const {
  WAL_ASSIGN_OR_RETURN(Json state, StateInterpreter::parse_checkpoint(body));
  if (!is_latest_state(state)) {
    return Status::invalid_argument(
        "latest checkpoint state is not {\"message_id\": ..., \"data\": ...}");
  }
  return state;
}

}  // namespace wal
