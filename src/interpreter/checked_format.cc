#include "interpreter/checked_format.h"

#include <string>
#include <utility>

#include "json/finite_numbers.h"

namespace wal {

namespace {

// Written, it could never be read back: the client would refuse every call.
Status check_finite_data(const Json& data) { return check_finite_numbers(data, "message data"); }

Result<Json> checked_checkpoint_body(const StateInterpreter& interpreter, Result<Json> formatted) {
  WAL_ASSIGN_OR_RETURN(Json body, std::move(formatted));
  WAL_RETURN_IF_ERROR(
      check_finite_numbers(body, "the checkpoint of interpreter \"" + interpreter.name() + "\""));
  if (!body.is_object() || body.contains("_metadata")) {
    return Status::invalid_argument("interpreter \"" + interpreter.name() +
                                    "\" made a checkpoint that is not an object without "
                                    "\"_metadata\"");
  }
  return body;
}

}  // namespace

Result<Json> checked_format_data(const StateInterpreter& interpreter, const Json& data) {
  WAL_RETURN_IF_ERROR(check_finite_data(data));
  WAL_ASSIGN_OR_RETURN(Json record, interpreter.format_data(data));
  if (!record.is_object() || !record.contains("_metadata") || !record["_metadata"].is_object()) {
    return Status::invalid_argument("interpreter \"" + interpreter.name() +
                                    "\" returned a record without a \"_metadata\" object");
  }
  return record;
}

Status check_message_data(const StateInterpreter& interpreter, const Json& data) {
  WAL_RETURN_IF_ERROR(check_finite_data(data));
  return interpreter.check_data(data);
}

Result<Json> checked_format_checkpoint(const StateInterpreter& interpreter, const Json& state) {
  return checked_checkpoint_body(interpreter, interpreter.format_checkpoint(state));
}

Result<Json> checked_format_checkpoint(const StateInterpreter& interpreter, Json&& state) {
  return checked_checkpoint_body(interpreter,
                                 interpreter.format_checkpoint_consuming(std::move(state)));
}

}  // namespace wal
