// Makes frames (record_format.h). The writing of frames to files is
// log_writer.h's and snapshot.h's business; this only makes the bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "segmented/record_format.h"

namespace wal::segmented {

// Appends one frame of `type` for the file numbered `log_number` to `out`.
void append_frame(std::string* out, RecordType type, uint64_t log_number, std::string_view payload);

inline constexpr uint64_t frame_size(uint64_t payload_size) { return kHeaderSize + payload_size; }

}  // namespace wal::segmented
