// ConsumerStateInterpreter: the original service's interpreter, made exact.
//
// State is a JSON object whose "content" string is every message's "content"
// joined by single spaces in message-id order, and whose other keys hold the
// value of the message with the highest id that had that key. A message is an
// object (a plain string is taken as its "content"). A checkpoint stores the
// state object itself, as the original's {"content": ...} checkpoints do.
//
// An unknown client's state is {"content": ""}.
#pragma once

#include "wal/state_interpreter.h"

namespace wal {

class ConsumerStateInterpreter final : public StateInterpreter {
 public:
  std::string name() const override { return "consumer"; }
  Status check_data(const Json& data) const override;
  bool wraps_data_as_is() const override { return true; }
  Json empty_state() const override;
  Result<Json> merge_data(Json state, const std::vector<LogEntry>& entries) const override;
  Result<Json> format_checkpoint(const Json& state) const override;
  Result<Json> parse_checkpoint(const Json& body) const override;
  Result<Json> format_checkpoint_consuming(Json state) const override;
  Result<Json> parse_checkpoint_consuming(Json body) const override;
};

}  // namespace wal
