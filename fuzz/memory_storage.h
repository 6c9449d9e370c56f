// A Storage that keeps its files in memory, so that fuzz targets can run the
// real readers, writers and recovery without touching a disk. One flat map
// from path to bytes; a directory exists when a file lies under it. Syncs do
// nothing (nothing here is ever lost) and locks are always granted.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wal/storage.h"

namespace wal::fuzzing {

class MemoryStorage final : public Storage {
 public:
  std::map<std::string, std::string>& files() { return files_; }

  Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path) override {
    files_[path].clear();
    return std::unique_ptr<WritableFile>(std::make_unique<Writable>(this, path));
  }
  Result<std::unique_ptr<PositionalFile>> open_positional_file(const std::string& path,
                                                               bool create) override {
    if (!files_.contains(path)) {
      if (!create) return Status::not_found(path, "no such file");
      files_[path];
    }
    return std::unique_ptr<PositionalFile>(std::make_unique<Positional>(this, path));
  }
  Result<std::string> read_file(const std::string& path) override {
    auto it = files_.find(path);
    if (it == files_.end()) return Status::not_found(path, "no such file");
    return it->second;
  }
  Status sync_file(const std::string&) override { return Status::ok(); }
  Status rename_file(const std::string& from, const std::string& to) override {
    auto it = files_.find(from);
    if (it == files_.end()) return Status::not_found(from, "no such file");
    std::string bytes = std::move(it->second);
    files_.erase(it);
    files_[to] = std::move(bytes);
    return Status::ok();
  }
  Status remove_file(const std::string& path) override {
    if (files_.erase(path) == 0) return Status::not_found(path, "no such file");
    return Status::ok();
  }
  Result<bool> create_dir(const std::string&) override { return false; }
  Status remove_dir(const std::string&) override { return Status::ok(); }
  Status sync_dir(const std::string&) override { return Status::ok(); }
  Result<std::vector<DirEntry>> list_dir(const std::string& path) override {
    std::vector<DirEntry> entries;
    const std::string prefix = path + "/";
    for (const auto& [name, bytes] : files_) {
      if (name.starts_with(prefix) && name.find('/', prefix.size()) == std::string::npos) {
        entries.push_back(DirEntry{name.substr(prefix.size()), DirEntry::Type::kFile});
      }
    }
    return entries;
  }
  Result<std::unique_ptr<FileLock>> lock_file(const std::string&) override {
    return std::make_unique<FileLock>();
  }
  uint64_t now_millis() override { return 1; }

 private:
  class Writable final : public WritableFile {
   public:
    Writable(MemoryStorage* storage, std::string path)
        : storage_(storage), path_(std::move(path)) {}
    Status append(std::string_view data) override {
      storage_->files_[path_].append(data);
      return Status::ok();
    }
    Status sync() override { return Status::ok(); }
    Status close() override { return Status::ok(); }

   private:
    MemoryStorage* storage_;
    std::string path_;
  };

  class Positional final : public PositionalFile {
   public:
    Positional(MemoryStorage* storage, std::string path)
        : storage_(storage), path_(std::move(path)) {}
    Result<std::string> read_at(uint64_t offset, size_t n) override {
      const std::string& bytes = storage_->files_[path_];
      if (offset >= bytes.size()) return std::string();
      return bytes.substr(offset, n);
    }
    Status write_at(uint64_t offset, std::string_view data) override {
      std::string& bytes = storage_->files_[path_];
      if (bytes.size() < offset + data.size()) bytes.resize(offset + data.size(), '\0');
      bytes.replace(offset, data.size(), data);
      return Status::ok();
    }
    Status truncate(uint64_t size) override {
      storage_->files_[path_].resize(size, '\0');
      return Status::ok();
    }
    Status sync() override { return Status::ok(); }
    Result<uint64_t> size() override { return storage_->files_[path_].size(); }
    Status close() override { return Status::ok(); }

   private:
    MemoryStorage* storage_;
    std::string path_;
  };

  std::map<std::string, std::string> files_;
};

}  // namespace wal::fuzzing
