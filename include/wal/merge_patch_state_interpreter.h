// MergePatchStateInterpreter: one JSON object per client, updated by each
// message as an RFC 7386 JSON Merge Patch, in message-id order.
//
//   state {}  + {"a": 1, "b": {"c": 2}}  -> {"a": 1, "b": {"c": 2}}
//             + {"b": {"c": null, "d": 3}} -> {"a": 1, "b": {"d": 3}}
//
// A null member deletes the key, an object merges recursively, anything else
// replaces. A message must be a JSON object, so the state always is one.
// An unknown client's state is {}. A checkpoint stores {"state": <state>}.
#pragma once

#include "wal/state_interpreter.h"

namespace wal {

// RFC 7386 MergePatch(target, patch), for any JSON values.
Json apply_merge_patch(Json target, const Json& patch);

class MergePatchStateInterpreter final : public StateInterpreter {
 public:
  std::string name() const override { return "merge-patch"; }
  Status check_data(const Json& data) const override;
  bool wraps_data_as_is() const override { return true; }
  Json empty_state() const override;
  Result<Json> merge_data(Json state, const std::vector<LogEntry>& entries) const override;
  Result<Json> parse_checkpoint(const Json& body) const override;
};

}  // namespace wal
