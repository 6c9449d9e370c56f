// LatestStateInterpreter: the message with the highest id, and nothing else.
//
// State is {"message_id": <id>, "data": <data>} for the latest recorded
// message; any JSON value is accepted as data. An unknown client's state is
// {"message_id": null, "data": null}. A checkpoint stores {"state": <state>}.
#pragma once

#include "wal/state_interpreter.h"

namespace wal {

class LatestStateInterpreter final : public StateInterpreter {
 public:
  std::string name() const override { return "latest"; }
  bool wraps_data_as_is() const override { return true; }
  Json empty_state() const override;
  Result<Json> merge_data(Json state, const std::vector<LogEntry>& entries) const override;
  Result<Json> parse_checkpoint(const Json& body) const override;
};

}  // namespace wal
