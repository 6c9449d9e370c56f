// A client's records lie among other clients' records. Read one system call
// each, a retrieve of thousands of records costs mostly system calls, so
// records close together in one segment are read in one block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "segmented/log_writer.h"

namespace wal::segmented {

// A block stays within this many bytes (a larger record is read alone).
constexpr uint64_t kMaxReadBlockBytes = 1u << 20;
// Bytes of other records a block may carry between two of the caller's:
// copying them costs less than another system call.
constexpr uint64_t kMaxReadGapBytes = 8u << 10;

// One past the last of `records` (in log order) read in the block that starts
// with records[first]: those that follow it in the same segment, each at most
// kMaxReadGapBytes after the end of the one before, while the block stays
// within kMaxReadBlockBytes.
size_t read_block_end(std::span<const Location> records, size_t first);

}  // namespace wal::segmented
