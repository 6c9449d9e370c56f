#include "wal/state_interpreter.h"

namespace wal {

Result<Json> StateInterpreter::format_data(const Json& data) const {
  WAL_RETURN_IF_ERROR(check_data(data));
  Json record = Json::object();
  record["data"] = data;
  record["_metadata"] = Json::object();
  return record;
}

Status StateInterpreter::check_data(const Json&) const { return Status::ok(); }

Result<Json> StateInterpreter::parse_data(const Json& record) const {
  if (!record.is_object()) return Status::invalid_argument("a log record must be a JSON object");
  if (auto data = record.find("data"); data != record.end()) return *data;
  // Files older than the "data" wrapper hold the business keys at top level.
  Json legacy = record;
  legacy.erase("_metadata");
  return legacy;
}

Result<Json> StateInterpreter::format_checkpoint(const Json& state) const {
  Json body = Json::object();
  body["state"] = state;
  return body;
}

Result<Json> StateInterpreter::parse_checkpoint(const Json& body) const {
  if (!body.is_object() || !body.contains("state")) {
    return Status::invalid_argument("checkpoint object has no \"state\" key");
  }
  return body["state"];
}

}  // namespace wal
