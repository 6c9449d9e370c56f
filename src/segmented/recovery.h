// Start-up of a segmented directory: the latest valid snapshot, then the log
// after it, segment by segment, with damage handled as the RecoveryMode says.
// Rebuilds the in-memory index (per client: dedup state, snapshot frame,
// record locations after it) and says where the writer continues.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dedup/dedup_state.h"
#include "segmented/log_writer.h"
#include "segmented/segment_allocator.h"
#include "segmented/snapshot.h"
#include "wal/storage.h"
#include "wal/write_ahead_log.h"

namespace wal::segmented {

struct RecoveredClient {
  explicit RecoveredClient(const DedupOptions& options) : dedup(options) {}
  DedupState dedup;
  std::optional<SnapshotEntry> snapshot;  // its frame in the loaded snapshot
  std::vector<Location> records;          // after the snapshot, in log order
};

struct Recovered {
  std::map<std::string, RecoveredClient, std::less<>> clients;
  std::optional<LoadedSnapshot> snapshot;  // its `clients` moved into `clients` above
  uint64_t next_snapshot_number = 1;
  // Segments holding live records, open for reading, in order.
  std::vector<std::shared_ptr<Segment>> segments;
  // Where the writer continues; null `active` means in a new segment.
  std::shared_ptr<Segment> active;
  uint64_t active_offset = 0;
  // Prepared segments found unused after the end of the log, in order.
  std::vector<std::shared_ptr<Segment>> ready;
  uint64_t next_segment_number = 1;
  std::vector<FreeFile> free_files;
  // Segments wholly covered by the snapshot, to be retired.
  struct Covered {
    std::string path;
    uint64_t number = 0;
    uint64_t bytes = 0;
  };
  std::vector<Covered> covered;
  uint64_t log_bytes = 0;  // bytes of log after the snapshot: the checkpoint cadence
};

// `dedup` says how the snapshot's client frames read (client_checkpoint.h)
// and which replayed records are new.
Result<Recovered> recover(Storage& storage, const std::string& base_dir, RecoveryMode mode,
                          RecoveryReport* report, const DedupOptions& dedup = {});

// Whether a report event of recover() let go of records that may have been
// acknowledged: skipped or dropped ones, or a damaged snapshot a lenient mode
// ignored. (A torn tail's were never acknowledged.)
bool lets_go_of_records(const RecoveryReport::Event& event);

}  // namespace wal::segmented
