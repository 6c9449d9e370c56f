// The spares of one client folder: files a checkpoint replaced, renamed to
// temporary names, that the next files of their kind are written over
// instead of being created (docs/format.md, "What makes it crash-safe", 8).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "seed/file_names.h"

namespace wal::seed {

class SpareFiles {
 public:
  // Up to `max_logs` log spares (checkpoint_threshold) and one checkpoint spare.
  explicit SpareFiles(size_t max_logs) : max_logs_(max_logs) {}

  // Whether a replaced file of `kind` may become a spare.
  bool has_room(FileKind kind) const {
    return kind == FileKind::kCheckpoint ? !checkpoint_ : logs_.size() < max_logs_;
  }
  // Keeps `name` (a temporary name in the folder) for a file of `kind`.
  void keep(FileKind kind, std::string name) {
    if (kind == FileKind::kCheckpoint) {
      checkpoint_ = std::move(name);
    } else {
      logs_.push_back(std::move(name));
    }
  }
  // A spare for a new file of `kind`, no longer kept; empty when there is none.
  std::optional<std::string> take(FileKind kind) {
    if (kind == FileKind::kCheckpoint) return std::exchange(checkpoint_, std::nullopt);
    if (logs_.empty()) return std::nullopt;
    std::string name = std::move(logs_.back());
    logs_.pop_back();
    return name;
  }
  // Every spare, none kept any more.
  std::vector<std::string> release() {
    std::vector<std::string> names = std::exchange(logs_, {});
    if (checkpoint_) names.push_back(*std::exchange(checkpoint_, std::nullopt));
    return names;
  }

 private:
  size_t max_logs_;
  std::vector<std::string> logs_;
  std::optional<std::string> checkpoint_;
};

}  // namespace wal::seed
