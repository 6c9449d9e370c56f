#include "files.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace walbench {

namespace fs = std::filesystem;

void make_dirs(const std::string& dir) { fs::create_directories(dir); }

void remove_tree(const std::string& dir) { fs::remove_all(dir); }

DiskUsage disk_usage(const std::string& dir) {
  DiskUsage usage;
  if (!fs::exists(dir)) return usage;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    struct stat st;
    if (lstat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    usage.apparent_bytes += static_cast<uint64_t>(st.st_size);
    usage.allocated_bytes += static_cast<uint64_t>(st.st_blocks) * 512;
    ++usage.files;
  }
  return usage;
}

std::string file_system_type(const std::string& dir) {
  const std::string path = fs::weakly_canonical(fs::absolute(dir)).string();
  std::ifstream mounts("/proc/self/mounts");
  std::string line, best_mount, best_type;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string device, mount_point, type;
    fields >> device >> mount_point >> type;
    const bool contains =
        path == mount_point || mount_point == "/" || path.starts_with(mount_point + "/");
    // The longest mount point containing the path is the one it lives on.
    if (contains && mount_point.size() >= best_mount.size()) {
      best_mount = mount_point;
      best_type = type;
    }
  }
  return best_type;
}

}  // namespace walbench
