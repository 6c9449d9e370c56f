// ListStateInterpreter: every message's data, in message-id order.
//
// State is {"messages": [<data of the lowest id>, ..., <data of the highest>]};
// any JSON value is accepted as data and kept as it is. An unknown client's
// state is {"messages": []}. A checkpoint stores {"state": <state>}, so it
// grows with the client's history: use it where that history is bounded.
#pragma once

#include "wal/state_interpreter.h"

namespace wal {

class ListStateInterpreter final : public StateInterpreter {
 public:
  std::string name() const override { return "list"; }
  bool wraps_data_as_is() const override { return true; }
  Json empty_state() const override;
  Result<Json> merge_data(Json state, const std::vector<LogEntry>& entries) const override;
  Result<Json> parse_checkpoint(const Json& body) const override;
};

}  // namespace wal
