#include "segmented_damage.h"

#include <regex>

#include "dedup/policy_file.h"
#include "discarding_storage.h"
#include "segmented/coding.h"
#include "segmented/file_names.h"
#include "segmented/payloads.h"
#include "segmented/record_reader.h"

namespace walctl {
namespace {

namespace seg = wal::segmented;
using wal::Json;

// "... offset 123 ..." in a recovery event's reason.
std::optional<uint64_t> offset_in(const std::string& text) {
  static const std::regex pattern("offset ([0-9]+)");
  std::smatch match;
  if (!std::regex_search(text, match, pattern)) return std::nullopt;
  return std::stoull(match[1].str());
}

// The record a damaged frame's payload describes, or null when it has none
// (an end, a snapshot's begin or end); false when the payload does not read.
std::optional<Json> record_of(uint8_t type, std::string_view payload) {
  switch (static_cast<seg::RecordType>(type)) {
    case seg::RecordType::kPersist:
    case seg::RecordType::kPersistData: {
      seg::PersistPayload persist;
      if (!seg::decode_message(static_cast<seg::RecordType>(type), payload, &persist)) {
        return std::nullopt;
      }
      return Json{{"client", std::string(persist.client_id)}, {"message_id", persist.message_id}};
    }
    case seg::RecordType::kClear: {
      seg::ClientPayload clear;
      if (!seg::decode_clear(payload, &clear)) return std::nullopt;
      return Json{{"client", std::string(clear.client_id)}, {"clear", true}};
    }
    case seg::RecordType::kSnapshotClient: {
      seg::SnapshotClientPayload client;
      if (!seg::decode_snapshot_client(payload, &client)) return std::nullopt;
      return Json{{"client", std::string(client.client_id)},
                  {"max_message_id", client.max_message_id}};
    }
    case seg::RecordType::kSegmentEnd:
    case seg::RecordType::kSnapshotBegin:
    case seg::RecordType::kSnapshotEnd:
      return Json(nullptr);
    case seg::RecordType::kZero:
      break;
  }
  return std::nullopt;
}

}  // namespace

wal::Result<SegmentedSurvey> survey_segmented_dir(wal::Storage& storage,
                                                  const std::string& base_dir,
                                                  wal::RecoveryMode mode) {
  DiscardingStorage discarding(storage);
  SegmentedSurvey survey;
  wal::DedupOptions dedup;  // the directory's policy: it says how snapshots read
  WAL_ASSIGN_OR_RETURN(dedup.policy, wal::read_dedup_policy(storage, base_dir));
  WAL_ASSIGN_OR_RETURN(survey.recovered,
                       seg::recover(discarding, base_dir, mode, &survey.report, dedup));
  for (const auto& event : survey.report.events) {
    const bool snapshot =
        seg::parse_file_name(base_name(event.path)).kind == seg::FileKind::kSnapshot;
    const bool damage = event.action == "truncated" || seg::lets_go_of_records(event);
    if (damage) {
      std::string reason = event.reason;
      if (size_t at = reason.find("from at offset"); at != std::string::npos) {
        reason.erase(at + 4, 3);  // recovery's "from at offset N" reads "from offset N"
      }
      survey.damage.push_back({event.path, event.action, reason, offset_in(reason), snapshot});
    } else if (event.action == "removed" || event.action == "retired") {
      survey.clean_up = true;
    }
  }
  return survey;
}

Json records_in_damage(std::string_view contents, uint64_t number, uint64_t from, bool snapshot) {
  Json records = Json::array();
  seg::FrameReader reader(contents, number, 0, snapshot);
  uint64_t at = from;
  while (at + seg::kHeaderSize <= contents.size()) {
    seg::Frame frame;
    std::string problem;
    reader.seek(at);
    const auto outcome = reader.next(&frame, &problem);
    if (!snapshot && outcome == seg::FrameReader::Outcome::kFrame) break;  // valid data resumes
    const char* header = contents.data() + at;
    const uint32_t length = seg::get_fixed32(header + seg::kLengthOffset);
    const auto type = static_cast<uint8_t>(header[seg::kTypeOffset]);
    // Another log number after the first damaged frame: zero-filled space, or
    // a recycled file's stale frames, never this file's records.
    const bool ours = seg::get_fixed64(header + seg::kLogNumberOffset) == number;
    if (!ours && at > from) break;
    std::optional<Json> record;
    if (ours && length <= contents.size() - at - seg::kHeaderSize) {
      record = record_of(type, contents.substr(at + seg::kHeaderSize, length));
    }
    if (!record) {
      return Json{{"records", std::move(records)}, {"unreadable_from", at}};
    }
    if (!record->is_null()) records.push_back(std::move(*record));
    at += seg::kHeaderSize + length;
  }
  return Json{{"records", std::move(records)}};
}

}  // namespace walctl
