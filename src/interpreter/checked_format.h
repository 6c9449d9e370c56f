// What every writer asks of an interpreter before it writes, in one place:
// the record and checkpoint bodies are objects of the shape the readers
// expect, and hold no number that JSON text cannot carry back.
#pragma once

#include "wal/json.h"
#include "wal/state_interpreter.h"
#include "wal/status.h"

namespace wal {

// interpreter.format_data(data), checked: `data` holds no NaN or infinity
// and the record is an object with a "_metadata" object. kInvalidArgument
// naming what is wrong otherwise.
Result<Json> checked_format_data(const StateInterpreter& interpreter, const Json& data);

// What checked_format_data checks of `data`, for an interpreter that wraps
// data as is (wraps_data_as_is): no NaN or infinity, and check_data accepts it.
// The record needs no check: it is {"data": data, "_metadata": {}}.
Status check_message_data(const StateInterpreter& interpreter, const Json& data);

// interpreter.format_checkpoint(state), checked: an object without
// "_metadata", with no NaN or infinity.
Result<Json> checked_format_checkpoint(const StateInterpreter& interpreter, const Json& state);
// The same for a state the caller no longer needs (format_checkpoint_consuming).
Result<Json> checked_format_checkpoint(const StateInterpreter& interpreter, Json&& state);

}  // namespace wal
