#include "segmented/read_blocks.h"

namespace wal::segmented {

size_t read_block_end(std::span<const Location> records, size_t first) {
  const Location& start = records[first];
  uint64_t end = start.offset + start.size;
  size_t next = first + 1;
  for (; next < records.size(); ++next) {
    const Location& record = records[next];
    if (record.segment != start.segment || record.offset < end ||
        record.offset - end > kMaxReadGapBytes ||
        record.offset + record.size - start.offset > kMaxReadBlockBytes) {
      break;
    }
    end = record.offset + record.size;
  }
  return next;
}

}  // namespace wal::segmented
