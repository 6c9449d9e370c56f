#include "seed/client_scan.h"

#include <algorithm>

#include "dedup/saved_json.h"
#include "seed/record_codec.h"
#include "wal/client_id.h"

namespace wal::seed {

const char* disposition_name(Disposition disposition) {
  switch (disposition) {
    case Disposition::kCheckpoint:
      return "checkpoint";
    case Disposition::kLive:
      return "live";
    case Disposition::kCovered:
      return "covered by checkpoint";
    case Disposition::kSuperseded:
      return "superseded checkpoint";
    case Disposition::kIncomplete:
      return "interrupted write";
    case Disposition::kTemp:
      return "temporary file";
    case Disposition::kDuplicate:
      return "duplicate id";
    case Disposition::kDamaged:
      return "damaged";
    case Disposition::kForeign:
      return "not a wal file";
  }
  return "unknown";
}

bool is_removable(Disposition disposition) {
  return disposition == Disposition::kCovered || disposition == Disposition::kSuperseded ||
         disposition == Disposition::kIncomplete || disposition == Disposition::kTemp;
}

Result<BaseDirListing> list_base_dir(Storage& storage, const std::string& base_dir) {
  WAL_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, storage.list_dir(base_dir));
  std::sort(entries.begin(), entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  BaseDirListing listing;
  for (const DirEntry& entry : entries) {
    if (entry.name == kLockFileName || entry.name == kDedupFileName ||
        entry.name == kTrashDirName || entry.name == kQuarantineDirName) {
      continue;
    }
    if (entry.name == kDedupTempFileName && entry.type == DirEntry::Type::kFile) {
      listing.debris.push_back(entry.name);  // a policy write cut short before its rename
    } else if (entry.type != DirEntry::Type::kDirectory) {
      listing.ignored.push_back({entry.name, "not a client folder"});
    } else if (Status valid = validate_client_id(entry.name); !valid.is_ok()) {
      listing.ignored.push_back(
          {entry.name, "folder name is not a valid client id: " + valid.message()});
    } else {
      listing.clients.push_back(entry.name);
    }
  }
  return listing;
}

Result<std::optional<uint64_t>> recorded_message_id(const Json& body, const std::string& key,
                                                    const std::string& path) {
  const Json* holder = nullptr;
  if (auto metadata = body.find("_metadata"); metadata != body.end() && metadata->contains(key)) {
    holder = &*metadata;
  } else if (body.contains(key) && !body.contains("_metadata")) {
    holder = &body;  // files older than the "_metadata" block
  }
  if (holder == nullptr) return std::optional<uint64_t>();
  const Json& id = (*holder)[key];
  if (id.is_null()) return std::optional<uint64_t>();
  if (id.is_number_unsigned()) return std::optional<uint64_t>(id.get<uint64_t>());
  uint64_t value = 0;
  if (id.is_string() && parse_u64(id.get<std::string>(), &value)) {
    return std::optional<uint64_t>(value);  // legacy files wrote ids as strings
  }
  return Status::corruption(path, 0,
                            "\"" + key + "\" is " + id.dump() + ", not an unsigned 64-bit integer");
}

namespace {

// Reads and decodes one file, recording damage on it and in the scan.
// Returns the decoded file when it is a whole record.
std::optional<DecodedFile> read_record(Storage& storage, ClientScan& scan, ScannedFile& file,
                                       Status* io_error) {
  const std::string path = join_path(scan.dir, file.name);
  auto contents = storage.read_file(path);
  if (!contents.is_ok()) {
    *io_error = contents.status();
    return std::nullopt;
  }
  file.read = true;
  auto decoded = decode_file(*contents, path);
  if (!decoded.is_ok()) {
    file.disposition = Disposition::kDamaged;
    file.problem = decoded.status();
    return std::nullopt;
  }
  file.checksummed = decoded->checksummed;
  if (decoded->state == DecodedFile::State::kIncomplete) {
    file.disposition = Disposition::kIncomplete;
    return std::nullopt;
  }
  return std::move(decoded).value();
}

void mark_damaged(ScannedFile& file, Status problem) {
  file.disposition = Disposition::kDamaged;
  file.problem = std::move(problem);
}

// The dedup state in a checkpoint's "_metadata", if any. Its low-water mark
// must be the checkpoint's max_message_id: the logs up to it are covered.
Result<std::optional<DedupState::Saved>> checkpoint_dedup(const Json& body,
                                                          std::optional<uint64_t> max_message_id,
                                                          DedupPolicy policy,
                                                          const std::string& path) {
  const auto metadata = body.find("_metadata");
  const bool present =
      metadata != body.end() && metadata->is_object() && metadata->contains("dedup");
  if (!present) {
    if (policy != DedupPolicy::kExact) return std::optional<DedupState::Saved>();
    return Status::corruption(path, 0,
                              "lacks the \"dedup\" state every checkpoint of an exact-dedup "
                              "directory carries in \"_metadata\"");
  }
  WAL_ASSIGN_OR_RETURN(DedupState::Saved saved, dedup_from_json((*metadata)["dedup"], path));
  if (saved.low_water_mark != max_message_id) {
    return Status::corruption(path, 0, "dedup state's low_water_mark differs from max_message_id");
  }
  return std::optional<DedupState::Saved>(std::move(saved));
}

// Picks the newest whole checkpoint; older ones are superseded. A damaged
// newest checkpoint stops the search: falling back to an older one would
// bring back a state, and dedup marks, older than what was acknowledged.
Status choose_checkpoint(Storage& storage, ClientScan& scan, DedupPolicy policy) {
  std::vector<size_t> checkpoints;
  for (size_t i = 0; i < scan.files.size(); ++i) {
    if (scan.files[i].kind == FileKind::kCheckpoint) checkpoints.push_back(i);
  }
  std::sort(checkpoints.begin(), checkpoints.end(), [&](size_t a, size_t b) {
    const ScannedFile& x = scan.files[a];
    const ScannedFile& y = scan.files[b];
    return x.timestamp != y.timestamp ? x.timestamp > y.timestamp : x.name > y.name;
  });
  for (size_t index : checkpoints) {
    ScannedFile& file = scan.files[index];
    if (scan.checkpoint || !scan.damage.is_ok()) {
      file.disposition = Disposition::kSuperseded;
      continue;
    }
    Status io_error;
    auto decoded = read_record(storage, scan, file, &io_error);
    WAL_RETURN_IF_ERROR(io_error);
    if (file.disposition == Disposition::kDamaged) {
      scan.damage = file.problem;
      continue;
    }
    if (!decoded) continue;  // interrupted: look at the next older one
    const std::string path = join_path(scan.dir, file.name);
    auto max_id = recorded_message_id(decoded->body, "max_message_id", path);
    auto dedup =
        max_id.is_ok() ? checkpoint_dedup(decoded->body, *max_id, policy, path) : max_id.status();
    if (!dedup.is_ok()) {
      mark_damaged(file, dedup.status());
      scan.damage = file.problem;
      continue;
    }
    file.max_message_id = *max_id;
    file.dedup = std::move(dedup).value();
    file.disposition = Disposition::kCheckpoint;
    scan.checkpoint = index;
    scan.max_message_id = *max_id;
  }
  if (!scan.damage.is_ok()) {
    // Keep everything for the operator: nothing older is superseded yet.
    for (size_t index : checkpoints) {
      if (scan.files[index].disposition == Disposition::kSuperseded) {
        scan.files[index].disposition = Disposition::kForeign;
      }
    }
  }
  return Status::ok();
}

Status classify_logs(Storage& storage, ClientScan& scan) {
  std::vector<size_t> logs;
  for (size_t i = 0; i < scan.files.size(); ++i) {
    if (scan.files[i].kind == FileKind::kLog) logs.push_back(i);
  }
  // Oldest first, so that of two logs with one id the first written is live.
  std::sort(logs.begin(), logs.end(), [&](size_t a, size_t b) {
    const ScannedFile& x = scan.files[a];
    const ScannedFile& y = scan.files[b];
    if (x.message_id != y.message_id) return x.message_id < y.message_id;
    return x.timestamp != y.timestamp ? x.timestamp < y.timestamp : x.name < y.name;
  });
  // Ids at or below the checkpoint's mark are in it already.
  const bool has_mark = scan.checkpoint.has_value() && scan.max_message_id.has_value();
  const uint64_t covered_up_to = has_mark ? *scan.max_message_id : 0;
  for (size_t index : logs) {
    ScannedFile& file = scan.files[index];
    if (has_mark && file.message_id <= covered_up_to && scan.damage.is_ok()) {
      file.disposition = Disposition::kCovered;
      continue;
    }
    Status io_error;
    auto decoded = read_record(storage, scan, file, &io_error);
    WAL_RETURN_IF_ERROR(io_error);
    if (!decoded) {
      if (file.disposition == Disposition::kDamaged && scan.damage.is_ok())
        scan.damage = file.problem;
      continue;
    }
    const std::string path = join_path(scan.dir, file.name);
    auto recorded = recorded_message_id(decoded->body, "message_id", path);
    if (recorded.is_ok() && *recorded && **recorded != file.message_id) {
      recorded = Status::corruption(path, 0,
                                    "the record says message id " + std::to_string(**recorded) +
                                        ", its name says " + std::to_string(file.message_id));
    }
    if (!recorded.is_ok()) {
      mark_damaged(file, recorded.status());
      if (scan.damage.is_ok()) scan.damage = file.problem;
      continue;
    }
    if (!scan.live_logs.empty() &&
        scan.files[scan.live_logs.back()].message_id == file.message_id) {
      file.disposition = Disposition::kDuplicate;
      continue;
    }
    file.disposition = Disposition::kLive;
    scan.live_logs.push_back(index);
    if (!scan.max_message_id || file.message_id > *scan.max_message_id) {
      scan.max_message_id = file.message_id;
    }
  }
  return Status::ok();
}

}  // namespace

Result<ClientScan> scan_client(Storage& storage, const std::string& dir,
                               const std::string& client_id, DedupPolicy policy) {
  ClientScan scan;
  scan.client_id = client_id;
  scan.dir = dir;
  WAL_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, storage.list_dir(dir));
  for (const DirEntry& entry : entries) {
    ScannedFile file;
    file.name = entry.name;
    if (entry.type == DirEntry::Type::kFile) {
      const ParsedFileName parsed = parse_file_name(entry.name);
      file.kind = parsed.kind;
      file.timestamp = parsed.timestamp;
      file.message_id = parsed.message_id;
      if (parsed.kind == FileKind::kTemp) file.disposition = Disposition::kTemp;
      if (parsed.kind == FileKind::kLog || parsed.kind == FileKind::kCheckpoint) {
        scan.newest_timestamp = std::max(scan.newest_timestamp, parsed.timestamp);
      }
    }
    scan.files.push_back(std::move(file));
  }
  std::sort(scan.files.begin(), scan.files.end(),
            [](const ScannedFile& a, const ScannedFile& b) { return a.name < b.name; });
  WAL_RETURN_IF_ERROR(choose_checkpoint(storage, scan, policy));
  WAL_RETURN_IF_ERROR(classify_logs(storage, scan));
  return scan;
}

}  // namespace wal::seed
