// Reads the frames (record_format.h) of one file's bytes, in order, and says
// exactly where and why bytes fail to be a frame. What to make of damage
// (a torn tail, damage in the middle) is recovery's decision, not the reader's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "segmented/record_format.h"

namespace wal::segmented {

struct Frame {
  RecordType type = RecordType::kZero;
  uint64_t offset = 0;  // of the header within the file
  std::string_view payload;
  uint64_t size() const { return kHeaderSize + payload.size(); }
  uint64_t end() const { return offset + size(); }
};

class FrameReader {
 public:
  enum class Outcome {
    kFrame,    // a whole frame of this file
    kEnd,      // no frame of this file starts here: zero-filled or recycled bytes, or the end
    kDamaged,  // bytes that carry this file's number but fail the frame's checks, or a
               // whole frame of this file but for a damaged log number
  };

  // `contents` is the whole file; reading starts at `start`. `snapshot` says
  // which frame types are valid (snapshot files or segments).
  FrameReader(std::string_view contents, uint64_t log_number, uint64_t start, bool snapshot);

  // Reads the frame at position(). On kFrame, position() moves past it; on
  // kEnd and kDamaged it stays, and `problem` says what is wrong.
  Outcome next(Frame* frame, std::string* problem);

  uint64_t position() const { return position_; }
  void seek(uint64_t offset) { position_ = offset; }

  // The offset of the first whole frame of this file at or after `from`:
  // how far damage reaches, and whether anything valid follows it.
  std::optional<uint64_t> find_frame(uint64_t from) const;

 private:
  Outcome check(uint64_t at, Frame* frame, std::string* problem) const;
  // True when the header at `at`, whatever log number it carries, makes a
  // whole frame of this file's kind with this file's number.
  bool checks_out_as_ours(uint64_t at) const;

  std::string_view contents_;
  uint64_t log_number_;
  uint64_t position_;
  bool snapshot_;
};

}  // namespace wal::segmented

#include "wal/status.h"
#include "wal/storage.h"

namespace wal::segmented {

// Checks that `bytes`, read at `offset` of the file named `path` and numbered
// `log_number`, are exactly one whole frame of `size` bytes of that file; the
// frame's payload points into `bytes`. Anything else is kCorruption naming
// path and offset.
Status check_frame_at(std::string_view bytes, const std::string& path, uint64_t log_number,
                      uint64_t offset, uint32_t size, bool snapshot, Frame* frame);

// Reads the frame of `size` bytes at `offset` of `file` and checks it as
// check_frame_at does; the frame's payload points into the returned bytes.
Result<std::string> read_frame_at(PositionalFile& file, const std::string& path,
                                  uint64_t log_number, uint64_t offset, uint32_t size,
                                  bool snapshot, Frame* frame);

}  // namespace wal::segmented
