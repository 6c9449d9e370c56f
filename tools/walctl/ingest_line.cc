#include "ingest_line.h"

#include "seed/file_names.h"

namespace walctl {
namespace {

constexpr std::string_view kIdRange = "an unsigned 64-bit integer (0 to 18446744073709551615)";

wal::Status bad_id(const std::string& shown) {
  return wal::Status::invalid_argument("message id must be " + std::string(kIdRange) + ", not " +
                                       shown);
}

}  // namespace

wal::Result<uint64_t> parse_message_id(std::string_view text) {
  uint64_t id = 0;
  if (!wal::seed::parse_u64(text, &id)) return bad_id("\"" + std::string(text) + "\"");
  return id;
}

wal::Result<IngestMessage> parse_ingest_line(std::string_view line) {
  WAL_ASSIGN_OR_RETURN(wal::Json object, wal::parse_json(line, "the line"));
  if (!object.is_object()) {
    return wal::Status::invalid_argument(
        std::string("expected an object {\"client\": ..., \"id\": ..., \"data\": ...}, not ") +
        object.type_name());
  }
  for (const auto& [key, value] : object.items()) {
    if (key != "client" && key != "id" && key != "data") {
      return wal::Status::invalid_argument("unknown key \"" + key +
                                           "\"; a line has only \"client\", \"id\" and \"data\"");
    }
  }
  IngestMessage message;
  auto client = object.find("client");
  if (client == object.end() || !client->is_string()) {
    return wal::Status::invalid_argument("\"client\" must be present and a string");
  }
  message.client_id = client->get<std::string>();

  auto id = object.find("id");
  if (id == object.end()) return wal::Status::invalid_argument("\"id\" is missing");
  if (id->is_number_unsigned()) {
    message.message_id = id->get<uint64_t>();
  } else if (id->is_string()) {
    WAL_ASSIGN_OR_RETURN(message.message_id, parse_message_id(id->get<std::string>()));
  } else {
    return bad_id(id->dump());
  }

  auto data = object.find("data");
  if (data == object.end()) return wal::Status::invalid_argument("\"data\" is missing");
  message.data = std::move(*data);
  return message;
}

}  // namespace walctl
