// The framing shared by segment files and snapshot files; docs/format.md
// ("The segmented layout") describes every byte.
//
// A frame is a 17-byte header and a payload:
//
//   +---------+---------+------+------------+-------------------+
//   | crc (4) | len (4) | type | log number |  payload (len)    |
//   |         |         | (1)  |    (8)     |                   |
//   +---------+---------+------+------------+-------------------+
//
// All integers are little-endian. crc is the masked CRC-32C of the bytes
// from type to the end of the payload. log number is the sequence number of
// the file the frame belongs to, so that frames left in a recycled file by
// its previous life, and zero-filled space (log number 0), are told apart
// from this file's frames without trusting anything else in them (the
// recyclable format of RocksDB does the same).
#pragma once

#include <cstddef>
#include <cstdint>

namespace wal::segmented {

enum class RecordType : uint8_t {
  kZero = 0,  // never written: preallocated space
  // Segment files.
  kPersist = 1,      // a message: client id, message id, record JSON
  kClear = 2,        // forget everything recorded for a client before this frame
  kSegmentEnd = 3,   // the writer moved on to the next segment; nothing follows here
  kPersistData = 4,  // a message whose record is {"data": D, "_metadata": {}}, holding D only
  // Snapshot files.
  kSnapshotBegin = 16,   // the log position the snapshot covers
  kSnapshotClient = 17,  // one client's merged state and highest id
  kSnapshotEnd = 18,     // the number of clients; the file is whole
};

inline constexpr size_t kHeaderSize = 4 + 4 + 1 + 8;
inline constexpr size_t kCrcOffset = 0;
inline constexpr size_t kLengthOffset = 4;
inline constexpr size_t kTypeOffset = 8;
inline constexpr size_t kLogNumberOffset = 9;

// Largest payload a frame may declare; anything larger is damage.
inline constexpr uint32_t kMaxPayload = 1u << 30;

// True for the types a file of that kind may hold.
bool is_segment_type(uint8_t type);
bool is_snapshot_type(uint8_t type);

// LevelDB's masking: a CRC of data that contains CRCs is unlikely to match by accident.
inline uint32_t mask_crc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline uint32_t unmask_crc(uint32_t masked) {
  const uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace wal::segmented
