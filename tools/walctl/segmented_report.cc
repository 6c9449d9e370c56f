#include "segmented_report.h"

#include <algorithm>
#include <map>
#include <optional>

#include "convert.h"
#include "dedup/policy_file.h"
#include "seed/file_names.h"
#include "segmented/file_names.h"
#include "segmented/layout_file.h"
#include "segmented/record_reader.h"
#include "segmented/recovery.h"
#include "segmented/snapshot.h"
#include "segmented_damage.h"
#include "util/file_size.h"
#include "util/paths.h"

namespace walctl {
namespace {

using wal::Json;
using wal::Status;
namespace seg = wal::segmented;

// A file kept to be recycled as a segment; its number is the highest log
// number its old frames carry.
Json describe_free_file(wal::Storage& storage, const std::string& path,
                        const seg::ParsedFileName& parsed) {
  Json out = Json::object();
  out["file"] = base_name(path);
  out["kind"] = "free";
  out["was"] = parsed.kind == seg::FileKind::kFreeSnapshot ? "snapshot" : "segment";
  out["number"] = parsed.number;
  const wal::Result<uint64_t> bytes = wal::file_size(storage, path);
  if (bytes.is_ok()) {
    out["bytes"] = *bytes;
  } else {
    out["problem"] = bytes.status().to_string();
  }
  return out;
}

Json describe_segment(wal::Storage& storage, const std::string& path, uint64_t number) {
  Json out = Json::object();
  out["file"] = base_name(path);
  out["kind"] = "segment";
  out["number"] = number;
  auto contents = storage.read_file(path);
  if (!contents.is_ok()) {
    out["problem"] = contents.status().to_string();
    return out;
  }
  out["bytes"] = contents->size();
  seg::FrameReader reader(*contents, number, 0, false);
  uint64_t persists = 0, clears = 0;
  bool ended = false;
  Json damage = Json::array();
  while (true) {
    seg::Frame frame;
    std::string problem;
    const auto outcome = reader.next(&frame, &problem);
    if (outcome == seg::FrameReader::Outcome::kFrame) {
      if (seg::is_message_type(frame.type)) ++persists;
      if (frame.type == seg::RecordType::kClear) ++clears;
      if (frame.type == seg::RecordType::kSegmentEnd) {
        ended = true;
        break;
      }
      continue;
    }
    if (outcome == seg::FrameReader::Outcome::kEnd) break;
    const uint64_t at = reader.position();
    const std::optional<uint64_t> next = reader.find_frame(at + 1);
    Json item = Json::object();
    item["offset"] = at;
    item["problem"] = problem;
    item["valid_data_follows"] = next.has_value();
    damage.push_back(std::move(item));
    if (!next) break;
    reader.seek(*next);
  }
  out["persist_records"] = persists;
  out["clear_records"] = clears;
  out["ended"] = ended;
  out["data_end"] = reader.position();
  if (!damage.empty()) out["damage"] = std::move(damage);
  return out;
}

Json describe_snapshot(wal::Storage& storage, const std::string& path, uint64_t number) {
  Json out = Json::object();
  out["file"] = base_name(path);
  out["kind"] = "snapshot";
  out["number"] = number;
  auto loaded = seg::load_snapshot(storage, path, number);
  if (!loaded.is_ok()) {
    out["problem"] = loaded.status().to_string();
    return out;
  }
  out["bytes"] = loaded->bytes;
  out["covers"] = Json{{"segment", loaded->covered.segment}, {"offset", loaded->covered.offset}};
  out["clients"] = loaded->clients.size();
  return out;
}

const char* advice_for(const std::string& action) {
  if (action == "truncated") {
    return "a write interrupted by a crash, never acknowledged: the next open cuts it off and "
           "reports it; nothing to do";
  }
  return "acknowledged data is damaged: the default open refuses the directory. Stop the "
         "service and run walctl repair (keeps the damaged files in .quarantine/ and every "
         "record that checks out), or open it with RecoveryMode kPointInTime (drops everything "
         "from the damage on) or kSkipDamaged (skips the damaged bytes)";
}

}  // namespace

wal::Status inspect_segmented_dir(wal::Storage& storage, const std::string& base_dir,
                                  const EmitLine& emit) {
  WAL_ASSIGN_OR_RETURN(std::vector<wal::DirEntry> entries, storage.list_dir(base_dir));
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  size_t segments = 0, snapshots = 0, free = 0, damaged = 0;
  for (const wal::DirEntry& entry : entries) {
    const std::string path = wal::join_path(base_dir, entry.name);
    const seg::ParsedFileName parsed = seg::parse_file_name(entry.name);
    const bool file = entry.type == wal::DirEntry::Type::kFile;
    Json out;
    if (file && parsed.kind == seg::FileKind::kSegment) {
      out = describe_segment(storage, path, parsed.number);
      ++segments;
    } else if (file && parsed.kind == seg::FileKind::kSnapshot) {
      out = describe_snapshot(storage, path, parsed.number);
      ++snapshots;
    } else if (file && (parsed.kind == seg::FileKind::kFree ||
                        parsed.kind == seg::FileKind::kFreeSnapshot)) {
      out = describe_free_file(storage, path, parsed);
      ++free;
    } else if (file && (parsed.kind == seg::FileKind::kTemp ||
                        entry.name == wal::seed::kDedupTempFileName)) {
      out = Json{{"file", entry.name}, {"kind", "temporary"}, {"removed_at_open", true}};
    } else if (entry.name == seg::kLayoutFileName) {
      auto contents = storage.read_file(path);
      out = Json{{"file", entry.name},
                 {"kind", "layout"},
                 {"ok", contents.is_ok() && seg::is_readable_layout(*contents)}};
    } else if (file && entry.name == wal::seed::kDedupFileName) {
      out = Json{{"file", entry.name}, {"kind", "dedup-policy"}};
      auto policy = wal::read_dedup_policy(storage, base_dir);
      if (policy.is_ok()) {
        out["policy"] = wal::dedup_policy_name(*policy);
      } else {
        out["problem"] = policy.status().to_string();
      }
    } else if (entry.name == wal::seed::kLockFileName) {
      continue;
    } else {
      out = Json{{"file", entry.name}, {"kind", "unknown"}, {"ignored", true}};
    }
    if (out.contains("problem") || out.contains("damage") ||
        (out.contains("ok") && out["ok"] == false)) {
      ++damaged;
    }
    emit(out);
  }
  Json summary = Json::object();
  summary["layout"] = "segmented";
  summary["segments"] = segments;
  summary["snapshots"] = snapshots;
  summary["free"] = free;
  summary["damaged_files"] = damaged;
  emit(summary);
  return Status::ok();
}

wal::Result<size_t> verify_segmented_dir(std::shared_ptr<wal::Storage> storage,
                                         std::shared_ptr<wal::StateInterpreter> interpreter,
                                         const std::string& base_dir, const EmitLine& emit) {
  size_t problems = 0;
  const std::string layout_path = wal::join_path(base_dir, seg::kLayoutFileName);
  if (auto layout = storage->read_file(layout_path);
      !layout.is_ok() || !seg::is_readable_layout(*layout)) {
    ++problems;
    emit(Json{{"file", std::string(seg::kLayoutFileName)},
              {"problem", layout.is_ok() ? "names a layout this build does not read"
                                         : layout.status().to_string()}});
  }
  WAL_ASSIGN_OR_RETURN(SegmentedSurvey survey,
                       survey_segmented_dir(*storage, base_dir, wal::RecoveryMode::kSkipDamaged));
  const wal::RecoveryReport& report = survey.report;
  const seg::Recovered* recovered = &survey.recovered;
  const bool clean_up = survey.clean_up;
  for (const SegmentedDamage& damage : survey.damage) {
    ++problems;
    Json out = Json::object();
    out["file"] = base_name(damage.path);
    if (damage.offset) out["offset"] = *damage.offset;
    out["problem"] = damage.action == "truncated" ? "torn tail: " + damage.reason
                     : damage.snapshot            ? "damaged snapshot: " + damage.reason
                                                  : damage.reason;
    out["what_to_do"] = advice_for(damage.action);
    emit(out);
  }

  // Every client's state merged, when the directory opens as it is.
  std::optional<std::string> not_merged;
  std::unique_ptr<ConvertSource> source;
  if (problems > 0) {
    not_merged = "the directory has problems";
  } else if (clean_up) {
    not_merged = "start-up would first remove or retire files (an interrupted snapshot or write)";
  } else {
    wal::Layout layout = wal::Layout::kAuto;
    auto opened = open_local_source(storage, interpreter, base_dir, &layout);
    if (opened.is_ok()) {
      source = std::move(opened).value();
    } else {
      not_merged = opened.status().to_string();
    }
  }
  size_t records = 0;
  for (const auto& [client_id, client] : recovered->clients) {
    const std::optional<uint64_t> highest = client.dedup.max_recorded();
    if (!highest) continue;
    Json out = Json::object();
    out["client"] = client_id;
    out["max_message_id"] = *highest;
    out["in_snapshot"] = client.snapshot.has_value();
    out["records"] = client.records.size();
    records += client.records.size();
    if (source) {
      auto state = source->state(client_id);
      out["ok"] = state.is_ok();
      if (!state.is_ok()) {
        ++problems;
        out["problem"] = state.status().to_string();
      }
    }
    emit(out);
  }
  Json summary = Json::object();
  summary["layout"] = "segmented";
  summary["verified_clients"] = report.clients;
  summary["records"] = records;
  summary["segments_read"] = report.logs;
  summary["snapshot"] = recovered->snapshot ? Json(base_name(recovered->snapshot->path)) : Json();
  summary["torn_tail"] = report.torn_tail;
  summary["problems"] = problems;
  summary["states_merged"] = source != nullptr;
  if (not_merged) summary["states_not_merged_because"] = *not_merged;
  emit(summary);
  return problems;
}

}  // namespace walctl
