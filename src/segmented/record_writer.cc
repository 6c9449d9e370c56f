#include "segmented/record_writer.h"

#include "segmented/coding.h"
#include "util/crc32c.h"

namespace wal::segmented {

void append_frame(std::string* out, RecordType type, uint64_t log_number,
                  std::string_view payload) {
  const size_t start = out->size();
  out->reserve(start + frame_size(payload.size()));
  put_fixed32(out, 0);  // the crc, filled in below
  put_fixed32(out, static_cast<uint32_t>(payload.size()));
  out->push_back(static_cast<char>(type));
  put_fixed64(out, log_number);
  out->append(payload);
  const char* covered = out->data() + start + kTypeOffset;
  const uint32_t crc = crc32c::value(covered, out->size() - start - kTypeOffset);
  const uint32_t masked = mask_crc(crc);
  for (int i = 0; i < 4; ++i) (*out)[start + i] = static_cast<char>(masked >> (8 * i));
}

}  // namespace wal::segmented
