// File-system helpers: creating and removing data directories, and what a
// directory takes on disk.
#pragma once

#include <cstdint>
#include <string>

namespace walbench {

void make_dirs(const std::string& dir);
void remove_tree(const std::string& dir);

struct DiskUsage {
  uint64_t allocated_bytes = 0;  // st_blocks * 512, what du reports
  uint64_t apparent_bytes = 0;   // st_size
  uint64_t files = 0;
};
DiskUsage disk_usage(const std::string& dir);

// The file-system type of the directory ("ext4", "tmpfs", ...) from
// /proc/self/mounts, so that a run on tmpfs can be refused.
std::string file_system_type(const std::string& dir);

}  // namespace walbench
