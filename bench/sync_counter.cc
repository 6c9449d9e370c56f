// Counts every fdatasync and fsync of the process by defining them here.
// The executable exports these symbols (ENABLE_EXPORTS), so the dynamic
// linker binds the shared libraries' calls (RocksDB, LevelDB, SQLite) to
// them as well as our own; each forwards to the C library's function. This
// costs a few nanoseconds against a sync's ~100 µs, where strace would slow
// every system call down.
#include <dlfcn.h>

#include <atomic>

#include "process_stats.h"

namespace walbench {
namespace {

std::atomic<uint64_t> sync_count{0};

using SyncFunction = int (*)(int);

SyncFunction next_definition(const char* name) {
  return reinterpret_cast<SyncFunction>(dlsym(RTLD_NEXT, name));
}

}  // namespace

uint64_t sync_calls() { return sync_count.load(std::memory_order_relaxed); }

}  // namespace walbench

extern "C" int fdatasync(int fd) {
  static const auto libc_fdatasync = walbench::next_definition("fdatasync");
  walbench::sync_count.fetch_add(1, std::memory_order_relaxed);
  return libc_fdatasync(fd);
}

extern "C" int fsync(int fd) {
  static const auto libc_fsync = walbench::next_definition("fsync");
  walbench::sync_count.fetch_add(1, std::memory_order_relaxed);
  return libc_fsync(fd);
}
