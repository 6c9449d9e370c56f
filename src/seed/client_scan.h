// A read-only look at one client folder of the seed layout: what every file
// is, which checkpoint and logs hold the client's state, and what is debris.
//
// Opening a WriteAheadLog acts on a scan (removes what it marks removable);
// `walctl inspect` and `walctl verify` only print it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dedup/dedup_state.h"
#include "seed/file_names.h"
#include "wal/dedup_policy.h"
#include "wal/json.h"
#include "wal/status.h"
#include "wal/storage.h"

namespace wal::seed {

enum class Disposition {
  kCheckpoint,  // the checkpoint the state starts from
  kLive,        // a log after the checkpoint: part of the state
  kCovered,     // a log whose id the checkpoint already holds: removable
  kSuperseded,  // a checkpoint older than the current one: removable
  kIncomplete,  // an interrupted write (PROCESSING, empty): removable
  kTemp,        // our temporary file of an interrupted write: removable
  kDuplicate,   // a second log with an id already live: ignored
  kDamaged,     // fails its checks: the client refuses calls until repaired
  kForeign,     // not a file of ours (unknown name, sub-folder): left alone
};

const char* disposition_name(Disposition disposition);
bool is_removable(Disposition disposition);

struct ScannedFile {
  std::string name;
  FileKind kind = FileKind::kUnknown;
  uint64_t timestamp = 0;
  uint64_t message_id = 0;                 // logs
  std::optional<uint64_t> max_message_id;  // checkpoints that were read
  // The dedup state a checkpoint carries in "_metadata"."dedup" (exact policy).
  std::optional<DedupState::Saved> dedup;
  bool read = false;  // contents were read and checked
  bool checksummed = false;
  Disposition disposition = Disposition::kForeign;
  Status problem;  // why a file is kDamaged
};

struct ClientScan {
  std::string client_id;
  std::string dir;
  std::vector<ScannedFile> files;    // sorted by name
  std::optional<size_t> checkpoint;  // index into files
  std::vector<size_t> live_logs;     // indexes into files, ascending message id
  std::optional<uint64_t> max_message_id;
  uint64_t newest_timestamp = 0;  // of any log or checkpoint name present
  Status damage;                  // the first damage found; OK when none

  const ScannedFile& file(size_t index) const { return files[index]; }
};

// What the base directory holds: the client folders, wal's temporary files
// left by a crash, and entries that are neither (files, hidden names, folders
// whose name is not a valid client id).
struct BaseDirListing {
  struct Ignored {
    std::string name;
    std::string reason;
  };
  std::vector<std::string> clients;  // sorted
  std::vector<std::string> debris;   // sorted; removable: opening for writing removes them
  std::vector<Ignored> ignored;      // sorted by name; wal's own hidden entries are not listed
};

Result<BaseDirListing> list_base_dir(Storage& storage, const std::string& base_dir);

// Reads `dir` (the folder of `client_id`). Fails only when the folder cannot
// be listed or a file cannot be read; damage is reported in the scan. A
// checkpoint's "dedup" field is checked whenever present; under kExact a
// checkpoint without one is damaged, since its state could not be recovered.
Result<ClientScan> scan_client(Storage& storage, const std::string& dir,
                               const std::string& client_id,
                               DedupPolicy policy = DedupPolicy::kHighWaterMark);

// The id a decoded log's "_metadata" (or, in the oldest files, top level)
// carries, if any: an integer or a string of digits.
Result<std::optional<uint64_t>> recorded_message_id(const Json& body, const std::string& key,
                                                    const std::string& path);

}  // namespace wal::seed
