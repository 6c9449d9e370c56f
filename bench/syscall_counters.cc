// Counts every sync and every byte written by the process, by defining the
// C library's functions here. The executable exports these symbols
// (ENABLE_EXPORTS), so the dynamic linker binds the shared libraries' calls
// (RocksDB, LevelDB, SQLite) to them as well as our own; each forwards to
// the C library's function. This costs nanoseconds against a sync's ~100 µs,
// where strace would slow every system call down.
//
// Bytes are counted as handed to the kernel, not from /proc/self/io: its
// write_bytes counts a whole page-cache folio each time one turns dirty, and
// on this kernel ext4 caches a file written in large pieces (a preallocated
// segment) in folios of up to 2 MiB, so one 160-byte record would count as
// 1 MiB there although the disk receives one 4 KiB block.
#include <dlfcn.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>

#include "process_stats.h"

namespace walbench {
namespace {

std::atomic<uint64_t> sync_count{0};
std::atomic<uint64_t> written_bytes{0};

template <typename Function>
Function next_definition(const char* name) {
  return reinterpret_cast<Function>(dlsym(RTLD_NEXT, name));
}

ssize_t count_written(ssize_t result) {
  if (result > 0) written_bytes.fetch_add(static_cast<uint64_t>(result), std::memory_order_relaxed);
  return result;
}

}  // namespace

uint64_t sync_calls() { return sync_count.load(std::memory_order_relaxed); }
uint64_t bytes_written() { return written_bytes.load(std::memory_order_relaxed); }

}  // namespace walbench

using walbench::count_written;
using walbench::next_definition;

extern "C" int fdatasync(int fd) {
  static const auto next = next_definition<int (*)(int)>("fdatasync");
  walbench::sync_count.fetch_add(1, std::memory_order_relaxed);
  return next(fd);
}

extern "C" int fsync(int fd) {
  static const auto next = next_definition<int (*)(int)>("fsync");
  walbench::sync_count.fetch_add(1, std::memory_order_relaxed);
  return next(fd);
}

extern "C" ssize_t write(int fd, const void* data, size_t n) {
  static const auto next = next_definition<ssize_t (*)(int, const void*, size_t)>("write");
  return count_written(next(fd, data, n));
}

extern "C" ssize_t pwrite(int fd, const void* data, size_t n, off_t offset) {
  static const auto next = next_definition<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
  return count_written(next(fd, data, n, offset));
}

extern "C" ssize_t pwrite64(int fd, const void* data, size_t n, off64_t offset) {
  static const auto next =
      next_definition<ssize_t (*)(int, const void*, size_t, off64_t)>("pwrite64");
  return count_written(next(fd, data, n, offset));
}

extern "C" ssize_t writev(int fd, const struct iovec* parts, int count) {
  static const auto next = next_definition<ssize_t (*)(int, const struct iovec*, int)>("writev");
  return count_written(next(fd, parts, count));
}
