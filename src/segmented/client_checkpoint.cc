#include "segmented/client_checkpoint.h"

#include "dedup/saved_json.h"
#include "json/first_member.h"

namespace wal::segmented {

std::string encode_client_checkpoint(DedupPolicy policy, const ClientCheckpoint& checkpoint) {
  if (policy == DedupPolicy::kHighWaterMark) return dump_python_style(checkpoint.state);
  Json pending = Json::array();
  for (const auto& [id, record] : checkpoint.pending) pending.push_back(Json::array({id, record}));
  return dump_python_style(Json{{"dedup", dedup_to_json(checkpoint.dedup)},
                                {"state", checkpoint.state},
                                {"pending", std::move(pending)}});
}

namespace {

Status malformed_frame(const std::string& path, uint64_t offset, const std::string& what) {
  return Status::corruption(path, offset,
                            "snapshot client record of the exact dedup policy " + what);
}

}  // namespace

Result<DedupState::Saved> decode_client_dedup(DedupPolicy policy, std::string_view json,
                                              uint64_t frame_id, const std::string& path,
                                              uint64_t offset) {
  if (policy == DedupPolicy::kHighWaterMark) return DedupState::Saved{frame_id, 0, {}};
  WAL_ASSIGN_OR_RETURN(std::optional<Json> first, parse_first_member(json, "dedup", path));
  if (!first) {
    WAL_ASSIGN_OR_RETURN(ClientCheckpoint whole,
                         decode_client_checkpoint(policy, json, frame_id, path, offset));
    return std::move(whole.dedup);
  }
  auto dedup = dedup_from_json(*first, path);
  if (!dedup.is_ok()) return malformed_frame(path, offset, dedup.status().message());
  return dedup;
}

Result<ClientCheckpoint> decode_client_checkpoint(DedupPolicy policy, std::string_view json,
                                                  uint64_t frame_id, const std::string& path,
                                                  uint64_t offset) {
  auto parsed = parse_json(json, path);
  if (!parsed.is_ok()) return Status::corruption(path, offset, parsed.status().message());
  Json body = std::move(parsed).value();
  ClientCheckpoint checkpoint;
  if (policy == DedupPolicy::kHighWaterMark) {
    checkpoint.state = std::move(body);
    checkpoint.dedup.low_water_mark = frame_id;
    return checkpoint;
  }
  const auto malformed = [&](const std::string& what) {
    return malformed_frame(path, offset, what);
  };
  if (!body.is_object() || !body.contains("state") || !body.contains("dedup") ||
      !body.contains("pending") || !body["pending"].is_array()) {
    return malformed("lacks its state, dedup or pending fields");
  }
  auto dedup = dedup_from_json(body["dedup"], path);
  if (!dedup.is_ok()) return malformed(dedup.status().message());
  checkpoint.dedup = std::move(dedup).value();
  const std::optional<uint64_t> mark = checkpoint.dedup.low_water_mark;
  for (Json& item : body["pending"]) {
    if (!item.is_array() || item.size() != 2 || !item[0].is_number_unsigned()) {
      return malformed("has a pending message that is not [id, record]");
    }
    const uint64_t id = item[0].get<uint64_t>();
    if ((mark && id <= *mark) ||
        (!checkpoint.pending.empty() && id <= checkpoint.pending.back().first)) {
      return malformed("has pending messages out of order or at or below the mark");
    }
    checkpoint.pending.emplace_back(id, std::move(item[1]));
  }
  checkpoint.state = std::move(body["state"]);
  return checkpoint;
}

}  // namespace wal::segmented
