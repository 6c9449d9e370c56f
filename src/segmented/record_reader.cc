#include "segmented/record_reader.h"

#include <cstring>

#include "segmented/coding.h"
#include "util/crc32c.h"

namespace wal::segmented {

bool is_segment_type(uint8_t type) {
  return type == static_cast<uint8_t>(RecordType::kPersist) ||
         type == static_cast<uint8_t>(RecordType::kPersistData) ||
         type == static_cast<uint8_t>(RecordType::kClear) ||
         type == static_cast<uint8_t>(RecordType::kSegmentEnd);
}

bool is_snapshot_type(uint8_t type) {
  return type == static_cast<uint8_t>(RecordType::kSnapshotBegin) ||
         type == static_cast<uint8_t>(RecordType::kSnapshotClient) ||
         type == static_cast<uint8_t>(RecordType::kSnapshotEnd);
}

FrameReader::FrameReader(std::string_view contents, uint64_t log_number, uint64_t start,
                         bool snapshot)
    : contents_(contents), log_number_(log_number), position_(start), snapshot_(snapshot) {}

FrameReader::Outcome FrameReader::check(uint64_t at, Frame* frame, std::string* problem) const {
  // A frame never starts where its header would not fit: the writer keeps
  // room for one, so such a remainder is never-written or recycled space.
  if (at > contents_.size() || contents_.size() - at < kHeaderSize) return Outcome::kEnd;
  const char* header = contents_.data() + at;
  if (get_fixed64(header + kLogNumberOffset) != log_number_) {
    // Zero-filled or recycled space, unless the frame checks out with this
    // file's number in place of the one it carries: then it is a frame of
    // this file whose number was damaged, and taking it for the end would
    // drop every record from here on without a word.
    if (!checks_out_as_ours(at)) return Outcome::kEnd;
    *problem = "record header carries log number " +
               std::to_string(get_fixed64(header + kLogNumberOffset)) + ", not the file's " +
               std::to_string(log_number_);
    return Outcome::kDamaged;
  }
  const uint8_t type = static_cast<uint8_t>(header[kTypeOffset]);
  if (!(snapshot_ ? is_snapshot_type(type) : is_segment_type(type))) {
    *problem = "unknown record type " + std::to_string(type);
    return Outcome::kDamaged;
  }
  const uint32_t length = get_fixed32(header + kLengthOffset);
  if (length > kMaxPayload || length > contents_.size() - at - kHeaderSize) {
    *problem = "record of " + std::to_string(length) + " bytes runs past the end of the file";
    return Outcome::kDamaged;
  }
  const uint32_t expected = unmask_crc(get_fixed32(header + kCrcOffset));
  const uint32_t actual = crc32c::value(header + kTypeOffset, kHeaderSize - kTypeOffset + length);
  if (expected != actual) {
    *problem = "crc32c mismatch";
    return Outcome::kDamaged;
  }
  frame->type = static_cast<RecordType>(type);
  frame->offset = at;
  frame->payload = contents_.substr(at + kHeaderSize, length);
  return Outcome::kFrame;
}

bool FrameReader::checks_out_as_ours(uint64_t at) const {
  const char* header = contents_.data() + at;
  const uint8_t type = static_cast<uint8_t>(header[kTypeOffset]);
  if (!(snapshot_ ? is_snapshot_type(type) : is_segment_type(type))) return false;
  const uint32_t length = get_fixed32(header + kLengthOffset);
  if (length > kMaxPayload || length > contents_.size() - at - kHeaderSize) return false;
  char ours[1 + 8];
  ours[0] = static_cast<char>(type);
  for (int i = 0; i < 8; ++i) ours[1 + i] = static_cast<char>(log_number_ >> (8 * i));
  const uint32_t crc =
      crc32c::extend(crc32c::value(ours, sizeof ours), header + kHeaderSize, length);
  return unmask_crc(get_fixed32(header + kCrcOffset)) == crc;
}

FrameReader::Outcome FrameReader::next(Frame* frame, std::string* problem) {
  const Outcome outcome = check(position_, frame, problem);
  if (outcome == Outcome::kFrame) position_ = frame->end();
  return outcome;
}

std::optional<uint64_t> FrameReader::find_frame(uint64_t from) const {
  char number[8];
  for (int i = 0; i < 8; ++i) number[i] = static_cast<char>(log_number_ >> (8 * i));
  Frame frame;
  std::string problem;
  for (uint64_t at = from; at + kHeaderSize <= contents_.size(); ++at) {
    // The log number is the cheap filter: checksums only where it matches.
    if (std::memcmp(contents_.data() + at + kLogNumberOffset, number, 8) != 0) continue;
    if (check(at, &frame, &problem) == Outcome::kFrame) return at;
  }
  return std::nullopt;
}

}  // namespace wal::segmented

namespace wal::segmented {

Status check_frame_at(std::string_view bytes, const std::string& path, uint64_t log_number,
                      uint64_t offset, uint32_t size, bool snapshot, Frame* frame) {
  FrameReader reader(bytes, log_number, 0, snapshot);
  std::string problem = "no record of this file here";
  if (reader.next(frame, &problem) != FrameReader::Outcome::kFrame || frame->size() != size) {
    return Status::corruption(path, offset, "was a whole record and is not any more: " + problem);
  }
  frame->offset = offset;
  return Status::ok();
}

Result<std::string> read_frame_at(PositionalFile& file, const std::string& path,
                                  uint64_t log_number, uint64_t offset, uint32_t size,
                                  bool snapshot, Frame* frame) {
  WAL_ASSIGN_OR_RETURN(std::string bytes, file.read_at(offset, size));
  WAL_RETURN_IF_ERROR(check_frame_at(bytes, path, log_number, offset, size, snapshot, frame));
  return bytes;
}

}  // namespace wal::segmented
