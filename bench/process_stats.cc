#include "process_stats.h"

#include <fstream>
#include <string>

namespace walbench {
namespace {

// The value of "key" in a "key: value [kB]" file of /proc.
uint64_t proc_value(const char* file, const std::string& key, uint64_t unit) {
  std::ifstream in(file);
  std::string name;
  uint64_t value = 0;
  while (in >> name) {
    if (name == key) {
      in >> value;
      return value * unit;
    }
    in.ignore(1 << 10, '\n');
  }
  return 0;
}

}  // namespace

uint64_t resident_bytes() { return proc_value("/proc/self/status", "VmRSS:", 1024); }

uint64_t peak_resident_bytes() { return proc_value("/proc/self/status", "VmHWM:", 1024); }

void reset_peak_resident() {
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";
}

}  // namespace walbench
