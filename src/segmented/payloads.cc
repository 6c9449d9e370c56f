#include "segmented/payloads.h"

#include "segmented/coding.h"

namespace wal::segmented {
namespace {

// Client ids are at most kMaxClientIdBytes (200) long: one byte holds the length.
void put_client_id(std::string* out, std::string_view client_id) {
  out->push_back(static_cast<char>(static_cast<uint8_t>(client_id.size())));
  out->append(client_id);
}

bool take_client_id(std::string_view* in, std::string_view* client_id) {
  uint8_t length = 0;
  return take_byte(in, &length) && length > 0 && take_bytes(in, length, client_id);
}

// The shape kPersist and kSnapshotClient share: id, number, JSON.
std::string encode_keyed_json(std::string_view client_id, uint64_t number, std::string_view json) {
  std::string out;
  out.reserve(1 + client_id.size() + 8 + json.size());
  put_client_id(&out, client_id);
  put_fixed64(&out, number);
  out.append(json);
  return out;
}

bool decode_keyed_json(std::string_view in, std::string_view* client_id, uint64_t* number,
                       std::string_view* json) {
  if (!take_client_id(&in, client_id) || !take_fixed64(&in, number)) return false;
  *json = in;
  return true;
}

}  // namespace

std::string encode_persist(std::string_view client_id, uint64_t message_id, std::string_view json) {
  return encode_keyed_json(client_id, message_id, json);
}

std::string encode_persist_data(std::string_view client_id, uint64_t message_id,
                                std::string_view data_json) {
  std::string out;
  out.reserve(1 + client_id.size() + 10 + data_json.size());
  put_persist_data_key(&out, client_id, message_id);
  out.append(data_json);
  return out;
}

void put_persist_data_key(std::string* out, std::string_view client_id, uint64_t message_id) {
  put_client_id(out, client_id);
  put_varint64(out, message_id);
}

std::string encode_clear(std::string_view client_id) {
  std::string out;
  put_client_id(&out, client_id);
  return out;
}

std::string encode_snapshot_begin(Position covered) {
  std::string out;
  put_fixed64(&out, covered.segment);
  put_fixed64(&out, covered.offset);
  return out;
}

std::string encode_snapshot_client(std::string_view client_id, uint64_t max_message_id,
                                   std::string_view json) {
  return encode_keyed_json(client_id, max_message_id, json);
}

std::string encode_snapshot_end(uint64_t clients) {
  std::string out;
  put_fixed64(&out, clients);
  return out;
}

bool is_message_type(RecordType type) {
  return type == RecordType::kPersist || type == RecordType::kPersistData;
}

bool decode_persist(std::string_view payload, PersistPayload* out) {
  out->data_only = false;
  return decode_keyed_json(payload, &out->client_id, &out->message_id, &out->json);
}

bool decode_persist_data(std::string_view payload, PersistPayload* out) {
  out->data_only = true;
  if (!take_client_id(&payload, &out->client_id) || !take_varint64(&payload, &out->message_id)) {
    return false;
  }
  out->json = payload;
  return true;
}

bool decode_message(RecordType type, std::string_view payload, PersistPayload* out) {
  if (type == RecordType::kPersist) return decode_persist(payload, out);
  if (type == RecordType::kPersistData) return decode_persist_data(payload, out);
  return false;
}

bool decode_clear(std::string_view payload, ClientPayload* out) {
  return take_client_id(&payload, &out->client_id) && payload.empty();
}

bool decode_snapshot_begin(std::string_view payload, Position* out) {
  return take_fixed64(&payload, &out->segment) && take_fixed64(&payload, &out->offset) &&
         payload.empty();
}

bool decode_snapshot_client(std::string_view payload, SnapshotClientPayload* out) {
  return decode_keyed_json(payload, &out->client_id, &out->max_message_id, &out->json);
}

bool decode_snapshot_end(std::string_view payload, uint64_t* clients) {
  return take_fixed64(&payload, clients) && payload.empty();
}

}  // namespace wal::segmented
