#include "etcd/record.h"

#include <cstdio>

#include "interpreter/checked_format.h"
#include "util/crc32c.h"

namespace wal::etcd {
namespace {

Status corrupt(const std::string& key, const std::string& message) {
  return Status::corruption("etcd key " + key + ": " + message);
}

std::string hex32(uint32_t value) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", value);
  return text;
}

}  // namespace

Result<std::string> encode_record(const StateInterpreter& interpreter, const Json& data,
                                  uint64_t message_id, size_t max_record_bytes) {
  WAL_ASSIGN_OR_RETURN(Json record, checked_format_data(interpreter, data));
  record["_metadata"]["message_id"] = message_id;
  std::string text = dump_python_style(record);
  if (text.size() > max_record_bytes) {
    return Status::invalid_argument("message of " + std::to_string(text.size()) +
                                    " bytes exceeds max_record_bytes (" +
                                    std::to_string(max_record_bytes) + ")");
  }
  return text;
}

Result<Json> decode_record(const StateInterpreter& interpreter, std::string_view value,
                           const std::string& key) {
  auto record = parse_json(value, "etcd key " + key);
  if (!record.is_ok()) return corrupt(key, record.status().message());
  auto data = interpreter.parse_data(*record);
  if (!data.is_ok()) return corrupt(key, data.status().message());
  return std::move(data).value();
}

Result<EncodedCheckpoint> encode_checkpoint(const StateInterpreter& interpreter, const Json& state,
                                            uint64_t max_message_id, std::string generation) {
  WAL_ASSIGN_OR_RETURN(Json body, checked_format_checkpoint(interpreter, state));
  body["_metadata"] = Json{{"max_message_id", max_message_id}};
  const std::string text = dump_python_style(body);
  EncodedCheckpoint encoded;
  for (size_t at = 0; at < text.size(); at += kChunkBytes) {
    encoded.chunks.push_back(text.substr(at, kChunkBytes));
  }
  CheckpointHeader& header = encoded.header;
  header.generation = std::move(generation);
  header.chunks = static_cast<uint32_t>(encoded.chunks.size());
  header.bytes = text.size();
  header.crc32c = crc32c::value(text);
  header.max_message_id = max_message_id;
  encoded.header_value = Json{{"generation", header.generation},
                              {"chunks", header.chunks},
                              {"bytes", header.bytes},
                              {"crc32c", hex32(header.crc32c)},
                              {"max_message_id", header.max_message_id}}
                             .dump();
  return encoded;
}

Result<CheckpointHeader> decode_checkpoint_header(std::string_view value, const std::string& key) {
  auto parsed = parse_json(value, "etcd key " + key);
  if (!parsed.is_ok()) return corrupt(key, parsed.status().message());
  const Json& json = *parsed;
  CheckpointHeader header;
  try {
    header.generation = json.at("generation").get<std::string>();
    header.chunks = json.at("chunks").get<uint32_t>();
    header.bytes = json.at("bytes").get<uint64_t>();
    header.crc32c = static_cast<uint32_t>(std::stoul(json.at("crc32c").get<std::string>(), 0, 16));
    header.max_message_id = json.at("max_message_id").get<uint64_t>();
  } catch (const std::exception& error) {
    return corrupt(key, std::string("bad checkpoint header: ") + error.what());
  }
  if (header.generation.empty() || header.generation.find('/') != std::string::npos) {
    return corrupt(key, "bad checkpoint generation \"" + header.generation + "\"");
  }
  return header;
}

Result<Json> decode_checkpoint(const StateInterpreter& interpreter, const CheckpointHeader& header,
                               const std::vector<std::string_view>& chunks,
                               const std::string& key) {
  if (chunks.size() != header.chunks) {
    return corrupt(key, "checkpoint names " + std::to_string(header.chunks) + " chunks but " +
                            std::to_string(chunks.size()) + " are present");
  }
  std::string text;
  text.reserve(header.bytes);
  for (std::string_view chunk : chunks) text += chunk;
  if (text.size() != header.bytes || crc32c::value(text) != header.crc32c) {
    return corrupt(key, "checkpoint chunks do not match their header (size or crc32c)");
  }
  auto body = parse_json(text, "checkpoint " + key);
  if (!body.is_ok() || !body->is_object()) {
    return corrupt(key, "checkpoint is not a JSON object");
  }
  body->erase("_metadata");
  auto state = interpreter.parse_checkpoint(*body);
  if (!state.is_ok()) return corrupt(key, state.status().message());
  return std::move(state).value();
}

}  // namespace wal::etcd
