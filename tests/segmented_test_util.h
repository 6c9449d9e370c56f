// Helpers for tests of the segmented layout: its frames as they lie on disk.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

#include "segmented/file_names.h"
#include "segmented/payloads.h"
#include "segmented/record_reader.h"
#include "segmented/record_writer.h"
#include "test_util.h"

namespace wal::testing {

struct FrameOnDisk {
  fs::path path;
  uint64_t number = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  segmented::RecordType type = segmented::RecordType::kZero;
};

// Every frame of every segment in `dir`, in log order (up to the first
// byte that is not a frame in each segment).
inline std::vector<FrameOnDisk> frames_on_disk(const fs::path& dir) {
  std::vector<FrameOnDisk> frames;
  for (const std::string& name : names_with_prefix(dir, "segment-")) {
    const segmented::ParsedFileName parsed = segmented::parse_file_name(name);
    if (parsed.kind != segmented::FileKind::kSegment) continue;
    const std::string bytes = read_bytes(dir / name);
    segmented::FrameReader reader(bytes, parsed.number, 0, /*snapshot=*/false);
    segmented::Frame frame;
    std::string problem;
    while (reader.next(&frame, &problem) == segmented::FrameReader::Outcome::kFrame) {
      frames.push_back({dir / name, parsed.number, frame.offset, frame.size(), frame.type});
    }
  }
  return frames;
}

// The frames of messages only, in log order.
inline std::vector<FrameOnDisk> persist_frames(const fs::path& dir) {
  std::vector<FrameOnDisk> frames;
  for (const FrameOnDisk& frame : frames_on_disk(dir)) {
    if (segmented::is_message_type(frame.type)) frames.push_back(frame);
  }
  return frames;
}

// The inode of `path`: the same file under a new name has the same one.
inline ino_t inode_of(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_ino;
}

// The bytes of `frames` together.
inline uint64_t bytes_of(const std::vector<FrameOnDisk>& frames) {
  uint64_t bytes = 0;
  for (const FrameOnDisk& frame : frames) bytes += frame.size;
  return bytes;
}

// Overwrites bytes of a file in place, as damage on disk would.
inline void overwrite(const fs::path& path, uint64_t offset, const std::string& bytes) {
  std::string contents = read_bytes(path);
  contents.replace(offset, bytes.size(), bytes);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

inline void flip_byte(const fs::path& path, uint64_t offset) {
  const std::string contents = read_bytes(path);
  overwrite(path, offset, std::string(1, static_cast<char>(contents[offset] ^ 0x20)));
}

// True when the report has an event with `action` whose path is `path`.
inline bool reported_action(const RecoveryReport& report, const std::string& action) {
  return std::any_of(report.events.begin(), report.events.end(),
                     [&](const auto& event) { return event.action == action; });
}

}  // namespace wal::testing
