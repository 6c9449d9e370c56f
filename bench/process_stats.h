// What a run costs the process: sync calls, bytes written, memory.
#pragma once

#include <cstdint>

namespace walbench {

// fdatasync(2) and fsync(2) calls made by this process so far, by any thread
// and any library: walbench defines both functions itself (sync_counter.cc),
// so that every engine's calls, including those inside the shared RocksDB,
// LevelDB and SQLite libraries, pass through one counter.
uint64_t sync_calls();

// Bytes this process caused to be sent to storage so far (write_bytes of
// /proc/self/io). The kernel counts a page each time it turns dirty, so a
// small write synced on its own costs a whole 4 KiB page, as on the disk.
uint64_t storage_write_bytes();

// Current and peak resident set size (VmRSS, VmHWM of /proc/self/status).
uint64_t resident_bytes();
uint64_t peak_resident_bytes();
// Makes the peak start again from the current size (writes 5 to
// /proc/self/clear_refs), so that a run's peak excludes what came before.
void reset_peak_resident();

}  // namespace walbench
