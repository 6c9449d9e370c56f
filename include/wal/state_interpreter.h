// StateInterpreter: how business data is wrapped, read back and merged.
//
// The write-ahead log knows nothing of the data it stores; an interpreter
// decides what a log record holds and how records fold into a client's state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wal/json.h"
#include "wal/status.h"

namespace wal {

// One recorded message, as handed to merge_data.
struct LogEntry {
  uint64_t message_id = 0;
  Json data;
};

class StateInterpreter {
 public:
  virtual ~StateInterpreter() = default;

  // A short name for messages and tools ("consumer").
  virtual std::string name() const = 0;

  // The record body a log file holds: {"data": <data>, "_metadata": {}}. The
  // log fills "_metadata". Returns kInvalidArgument for data it cannot hold.
  // The default checks `data` with check_data and wraps it.
  virtual Result<Json> format_data(const Json& data) const;

  // The business data inside a record body written by format_data.
  virtual Result<Json> parse_data(const Json& record) const;

  // The state of a client that has nothing recorded.
  virtual Json empty_state() const = 0;

  // Folds `entries`, in ascending message-id order, into `state` (the state
  // recorded so far, or empty_state()) and returns the new state.
  virtual Result<Json> merge_data(Json state, const std::vector<LogEntry>& entries) const = 0;

  // The object a checkpoint stores for `state`, without "_metadata".
  // The default is {"state": <state>}.
  virtual Result<Json> format_checkpoint(const Json& state) const;

  // The state held by a checkpoint object (its "_metadata" already removed).
  virtual Result<Json> parse_checkpoint(const Json& body) const;

  // Declared last, so that the virtuals above keep their places in the vtable.
  // The checks the default format_data makes of message data: kInvalidArgument
  // for data this interpreter cannot hold. The default accepts any value.
  virtual Status check_data(const Json& data) const;
  // True when format_data and parse_data are the defaults for every object of
  // the dynamic type (a final class that overrides neither), so a log may store
  // the data alone, checked by check_data, without building the record around
  // it. The default is false, which is always safe.
  virtual bool wraps_data_as_is() const { return false; }
  // format_checkpoint of a state, and parse_checkpoint of a body, that the
  // caller no longer needs: an interpreter whose checkpoint holds the state
  // as it is may move it instead of copying it (a state can be megabytes).
  // The defaults call the two above, which is always right.
  virtual Result<Json> format_checkpoint_consuming(Json state) const {
    return format_checkpoint(state);
  }
  virtual Result<Json> parse_checkpoint_consuming(Json body) const {
    return parse_checkpoint(body);
  }
};

}  // namespace wal
