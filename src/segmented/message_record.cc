#include "segmented/message_record.h"

#include "json/python_style.h"

namespace wal::segmented {
namespace {

constexpr std::string_view kDataKey = "data";
constexpr std::string_view kMetadataKey = "_metadata";
// What dump_python_style adds around D in {"data": D, "_metadata": {}}.
constexpr uint64_t kWrapperBytes =
    std::string_view(R"({"data": )").size() + std::string_view(R"(, "_metadata": {}})").size();

bool is_data_with_empty_metadata(const Json& record) {
  if (!record.is_object() || record.size() != 2) return false;
  auto field = record.begin();
  if (field.key() != kDataKey) return false;
  ++field;
  return field.key() == kMetadataKey && field.value().is_object() && field.value().empty();
}
// Room for the key and the data of a usual message, so that most payloads are
// made in one allocation; a larger one grows as it is written.
constexpr size_t kUsualPayloadBytes = 256;

}  // namespace

MessageFrame frame_message(std::string_view client_id, uint64_t message_id, const Json& record,
                           bool data_frames) {
  if (data_frames && is_data_with_empty_metadata(record)) {
    return frame_persist_data(client_id, message_id, record.front());
  }
  const std::string json = dump_python_style(record);
  return MessageFrame{RecordType::kPersist, encode_persist(client_id, message_id, json),
                      json.size()};
}

MessageFrame frame_persist_data(std::string_view client_id, uint64_t message_id, const Json& data) {
  std::string payload;
  payload.reserve(kUsualPayloadBytes + client_id.size());
  put_persist_data_key(&payload, client_id, message_id);
  const size_t key_bytes = payload.size();
  append_python_style(payload, data);
  // A larger payload grew by doubling; a batch holds every payload until it
  // commits, so give back what doubling left unused.
  if (payload.size() > kUsualPayloadBytes &&
      payload.capacity() - payload.size() > payload.size() / 4) {
    payload.shrink_to_fit();
  }
  const uint64_t record_bytes = payload.size() - key_bytes + kWrapperBytes;
  return MessageFrame{RecordType::kPersistData, std::move(payload), record_bytes};
}

Result<Json> message_record(const PersistPayload& message, const std::string& path) {
  WAL_ASSIGN_OR_RETURN(Json parsed, parse_json(message.json, path));
  if (!message.data_only) return parsed;
  Json record = Json::object();
  record[kDataKey] = std::move(parsed);
  record[kMetadataKey] = Json::object();
  return record;
}

}  // namespace wal::segmented
