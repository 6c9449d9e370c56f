// What a run costs the process: sync calls, bytes written, memory.
#pragma once

#include <cstdint>

namespace walbench {

// fdatasync(2) and fsync(2) calls made by this process so far, by any thread
// and any library: walbench defines both functions itself
// (syscall_counters.cc), so that every engine's calls, including those inside
// the shared RocksDB, LevelDB and SQLite libraries, pass through one counter.
uint64_t sync_calls();

// Bytes this process has written with write, pwrite and writev so far, counted
// the same way (file preallocation by writing zeros included).
uint64_t bytes_written();

// Current and peak resident set size (VmRSS, VmHWM of /proc/self/status).
uint64_t resident_bytes();
uint64_t peak_resident_bytes();
// Makes the peak start again from the current size (writes 5 to
// /proc/self/clear_refs), so that a run's peak excludes what came before.
void reset_peak_resident();

}  // namespace walbench
