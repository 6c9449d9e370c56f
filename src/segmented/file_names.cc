#include "segmented/file_names.h"

#include <cstdint>
#include <cstdio>

#include "seed/file_names.h"

namespace wal::segmented {
namespace {

constexpr std::string_view kSegmentPrefix = "segment-";
constexpr std::string_view kSnapshotPrefix = "snapshot-";
constexpr std::string_view kFreePrefix = "free-";
constexpr std::string_view kLogExtension = ".log";
constexpr std::string_view kSnapshotExtension = ".snap";
constexpr std::string_view kTempExtension = ".tmp";
constexpr size_t kDigits = 20;

std::string numbered(std::string_view prefix, uint64_t number, std::string_view extension) {
  char digits[kDigits + 1];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(number));
  return std::string(prefix) + digits + std::string(extension);
}

bool parse_numbered(std::string_view name, std::string_view prefix, std::string_view extension,
                    uint64_t* number) {
  if (name.size() != prefix.size() + kDigits + extension.size()) return false;
  if (!name.starts_with(prefix) || !name.ends_with(extension)) return false;
  return seed::parse_u64(name.substr(prefix.size(), kDigits), number) && *number != 0 &&
         *number <= kLargestFileNumber;
}

}  // namespace

std::string segment_file_name(uint64_t number) {
  return numbered(kSegmentPrefix, number, kLogExtension);
}

std::string snapshot_file_name(uint64_t number) {
  return numbered(kSnapshotPrefix, number, kSnapshotExtension);
}

std::string free_file_name(uint64_t number) { return numbered(kFreePrefix, number, kLogExtension); }

std::string free_snapshot_file_name(uint64_t number) {
  return numbered(kFreePrefix, number, kSnapshotExtension);
}

std::string temp_file_name(std::string_view final_name) {
  return std::string(final_name) + std::string(kTempExtension);
}

ParsedFileName parse_file_name(std::string_view name) {
  ParsedFileName parsed;
  if (name.ends_with(kTempExtension)) {
    const ParsedFileName base =
        parse_file_name(name.substr(0, name.size() - kTempExtension.size()));
    if (base.kind != FileKind::kUnknown && base.kind != FileKind::kTemp) {
      parsed = base;
      parsed.kind = FileKind::kTemp;
    }
    return parsed;
  }
  if (parse_numbered(name, kSegmentPrefix, kLogExtension, &parsed.number)) {
    parsed.kind = FileKind::kSegment;
  } else if (parse_numbered(name, kSnapshotPrefix, kSnapshotExtension, &parsed.number)) {
    parsed.kind = FileKind::kSnapshot;
  } else if (parse_numbered(name, kFreePrefix, kLogExtension, &parsed.number)) {
    parsed.kind = FileKind::kFree;
  } else if (parse_numbered(name, kFreePrefix, kSnapshotExtension, &parsed.number)) {
    parsed.kind = FileKind::kFreeSnapshot;
  }
  return parsed;
}

}  // namespace wal::segmented
