// The segmented layout's file names, made and parsed in this one place.
//
//   <base>/LAYOUT                          "wal segmented 2\n": which layout this is
//   <base>/.wal.lock                       held by the open instance (as in the seed layout)
//   <base>/segment-<20 digits>.log         a segment of the log, by sequence number
//   <base>/snapshot-<20 digits>.snap       every client's state up to a log position
//   <base>/free-<20 digits>.log            a retired segment kept to be recycled
//   <base>/free-<20 digits>.snap           a superseded snapshot kept to be recycled
//   <base>/<any of the above>.tmp          a file being prepared (never read)
//
// Numbers are zero-padded so that names sort in number order. A free file
// keeps the number it had as a segment or snapshot, the highest log number
// its frames may carry: it is recycled only into a segment numbered above it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wal::segmented {

inline constexpr std::string_view kLayoutFileName = "LAYOUT";
inline constexpr std::string_view kLayoutFileContents = "wal segmented 2\n";
// Version 1 lacks only the persist data frame: it is read, and stays version 1
// (no persist data frame is written there), so the builds that wrote it still read it.
inline constexpr std::string_view kLayoutFileContentsV1 = "wal segmented 1\n";

// Numbers run from 1 (0 is the log number of zero-filled space) to one
// below the largest, so that every file's number has a successor.
inline constexpr uint64_t kLargestFileNumber = UINT64_MAX - 1;

enum class FileKind {
  kSegment,
  kSnapshot,
  kFree,          // a retired segment
  kFreeSnapshot,  // a superseded snapshot
  kTemp,
  kUnknown,  // LAYOUT, the lock, and anything not ours
};

struct ParsedFileName {
  FileKind kind = FileKind::kUnknown;
  uint64_t number = 0;
};

std::string segment_file_name(uint64_t number);
std::string snapshot_file_name(uint64_t number);
std::string free_file_name(uint64_t number);
std::string free_snapshot_file_name(uint64_t number);
std::string temp_file_name(std::string_view final_name);

ParsedFileName parse_file_name(std::string_view name);

}  // namespace wal::segmented
