// The seed layout's file names, made and parsed in this one place.
//
//   <base>/<client>/log_<timestamp>_<message id>.log
//   <base>/<client>/checkpoint_<timestamp>.log
//   <base>/<client>/<one of the above>.tmp     a write not yet complete
//   <base>/.wal.lock                            held by the open instance
//   <base>/.wal.dedup                           the dedup policy, when not the seed's
//   <base>/.wal.dedup.tmp                       .wal.dedup being written (both layouts)
//   <base>/.trash/                              clients being cleared
//   <base>/.quarantine/<client>/                damaged files `walctl repair` set aside
//
// Timestamps are decimal milliseconds since the epoch, message ids decimal
// unsigned 64-bit integers. The original service globs "log_*.log" and
// "checkpoint_*.log", so a ".tmp" name is invisible to it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/paths.h"

namespace wal::seed {

using wal::join_path;

inline constexpr std::string_view kLockFileName = ".wal.lock";
inline constexpr std::string_view kDedupFileName = ".wal.dedup";
inline constexpr std::string_view kTrashDirName = ".trash";
inline constexpr std::string_view kQuarantineDirName = ".quarantine";
inline constexpr std::string_view kTempSuffix = ".tmp";
// .wal.dedup's name until its rename: start-up of either layout removes one a crash left.
inline constexpr std::string_view kDedupTempFileName = ".wal.dedup.tmp";
static_assert(kDedupTempFileName.starts_with(kDedupFileName) &&
              kDedupTempFileName.ends_with(kTempSuffix) &&
              kDedupTempFileName.size() == kDedupFileName.size() + kTempSuffix.size());

enum class FileKind {
  kLog,
  kCheckpoint,
  kTemp,     // ours, from a write that did not finish
  kUnknown,  // not ours; includes "log_*.log" names whose id is not a u64
};

struct ParsedFileName {
  FileKind kind = FileKind::kUnknown;
  uint64_t timestamp = 0;
  uint64_t message_id = 0;  // logs only
};

std::string log_file_name(uint64_t timestamp, uint64_t message_id);
std::string checkpoint_file_name(uint64_t timestamp);
std::string temp_file_name(std::string_view final_name);

ParsedFileName parse_file_name(std::string_view name);

// Parses a decimal unsigned 64-bit number: digits only, no sign, no overflow.
bool parse_u64(std::string_view text, uint64_t* value);

}  // namespace wal::seed
