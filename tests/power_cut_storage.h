// A Storage double that knows what is durable, to simulate power cuts.
//
// It forwards every call to a real FileSystemStorage below `root` and keeps a
// model of the tree as inodes: each file has the bytes written so far and the
// bytes made durable by its last sync; each directory has its current entries
// and the entries made durable by its last sync_dir. This is the least POSIX
// and Linux promise: data is durable after fsync/fdatasync, a name (creation,
// rename, removal) after an fsync of the directory holding it.
//
// `die_after(k)` makes every call after the next k fail, as if the process
// died there. `power_cut(mode)` then rewrites the real tree as the disk could
// hold it after the power came back:
//   kDropUnsynced  exactly the durable state;
//   kTornTails     durable state, but each file's unsynced tail is partly
//                  there, or there as zeros or as garbage;
//   kAnySubset     each unsynced change (a name, a file's tail) independently
//                  made it or not, as if the kernel wrote back in any order.
#pragma once

#include <cerrno>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "test_util.h"
#include "util/paths.h"
#include "wal/file_system_storage.h"
#include "wal/storage.h"

namespace wal::testing {

enum class PowerCut { kDropUnsynced, kTornTails, kAnySubset };

class PowerCutStorage final : public Storage {
 public:
  explicit PowerCutStorage(std::string root) : root_(std::move(root)) {
    root_inode_ = new_inode(/*is_dir=*/true);
    load(root_, root_inode_);
  }

  void die_after(int calls) {
    std::lock_guard lock(mutex_);
    die_at_ = calls_ + calls;
  }
  int calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  bool dead() const {
    std::lock_guard lock(mutex_);
    return die_at_ >= 0 && calls_ >= die_at_;
  }

  // Rewrites the real tree below root as the disk holds it after the cut.
  void power_cut(PowerCut mode, uint32_t seed) {
    std::lock_guard lock(mutex_);
    std::mt19937 random(seed);
    fs::remove_all(root_);
    fs::create_directories(root_);
    restore(root_, root_inode_, mode, random);
  }

  // ---- Storage ----------------------------------------------------------------

  Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path) override;
  Result<std::unique_ptr<PositionalFile>> open_positional_file(const std::string& path,
                                                               bool create) override;
  Result<std::string> read_file(const std::string& path) override {
    WAL_RETURN_IF_ERROR(tick(path));
    return real_.read_file(path);
  }
  Status sync_file(const std::string& path) override {
    WAL_RETURN_IF_ERROR(tick(path));
    WAL_RETURN_IF_ERROR(real_.sync_file(path));
    std::lock_guard lock(mutex_);
    if (int inode = lookup(path); inode >= 0) inodes_[inode].durable = inodes_[inode].data;
    return Status::ok();
  }
  Status rename_file(const std::string& from, const std::string& to) override {
    WAL_RETURN_IF_ERROR(tick(from));
    WAL_RETURN_IF_ERROR(real_.rename_file(from, to));
    std::lock_guard lock(mutex_);
    const int inode = lookup(from);
    if (inode >= 0) {
      entries_of(parent(from)).erase(base_name(from));
      entries_of(parent(to))[base_name(to)] = inode;
    }
    return Status::ok();
  }
  Status remove_file(const std::string& path) override {
    WAL_RETURN_IF_ERROR(tick(path));
    WAL_RETURN_IF_ERROR(real_.remove_file(path));
    std::lock_guard lock(mutex_);
    if (modeled(path)) entries_of(parent(path)).erase(base_name(path));
    return Status::ok();
  }
  Result<bool> create_dir(const std::string& path) override {
    WAL_RETURN_IF_ERROR(tick(path));
    WAL_ASSIGN_OR_RETURN(bool created, real_.create_dir(path));
    std::lock_guard lock(mutex_);
    if (created && modeled(path)) {
      const int inode = new_inode(true);  // first: it may move the inodes
      entries_of(parent(path))[base_name(path)] = inode;
    }
    return created;
  }
  Status remove_dir(const std::string& path) override {
    WAL_RETURN_IF_ERROR(tick(path));
    WAL_RETURN_IF_ERROR(real_.remove_dir(path));
    std::lock_guard lock(mutex_);
    if (modeled(path)) entries_of(parent(path)).erase(base_name(path));
    return Status::ok();
  }
  Status sync_dir(const std::string& path) override {
    WAL_RETURN_IF_ERROR(tick(path));
    WAL_RETURN_IF_ERROR(real_.sync_dir(path));
    std::lock_guard lock(mutex_);
    if (int inode = lookup(path); inode >= 0) {
      inodes_[inode].durable_entries = inodes_[inode].entries;
    }
    return Status::ok();
  }
  Result<std::vector<DirEntry>> list_dir(const std::string& path) override {
    WAL_RETURN_IF_ERROR(tick(path));
    return real_.list_dir(path);
  }
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) override {
    WAL_RETURN_IF_ERROR(tick(path));
    // The lock file's contents do not matter; its name is made durable like any other.
    WAL_ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock, real_.lock_file(path));
    created(path);
    return lock;
  }
  uint64_t now_millis() override { return real_.now_millis(); }

  // Called by PowerCutFile.
  Status tick(const std::string& path) {
    std::lock_guard lock(mutex_);
    if (die_at_ >= 0 && calls_ >= die_at_) return Status::io_error("process died", path, EIO);
    ++calls_;
    return Status::ok();
  }
  // The inode a file opened at `path` writes to, whatever it is renamed to
  // later; -1 when the path is outside the model.
  int inode_of(const std::string& path) {
    std::lock_guard lock(mutex_);
    return lookup(path);
  }
  void appended(int inode, std::string_view data) {
    std::lock_guard lock(mutex_);
    if (inode >= 0) inodes_[inode].data.append(data);
  }
  void written_at(int inode, uint64_t offset, std::string_view data) {
    std::lock_guard lock(mutex_);
    if (inode < 0) return;
    std::string& bytes = inodes_[inode].data;
    if (bytes.size() < offset + data.size()) bytes.resize(offset + data.size(), '\0');
    bytes.replace(offset, data.size(), data);
  }
  void truncated(int inode, uint64_t size) {
    std::lock_guard lock(mutex_);
    if (inode >= 0) inodes_[inode].data.resize(size, '\0');
  }
  // Creates the model's entry for a file the real storage just made.
  void created(const std::string& path) {
    std::lock_guard lock(mutex_);
    if (modeled(path) && lookup(path) < 0) {
      const int inode = new_inode(false);
      entries_of(parent(path))[base_name(path)] = inode;
    }
  }
  void synced(int inode) {
    std::lock_guard lock(mutex_);
    if (inode >= 0) inodes_[inode].durable = inodes_[inode].data;
  }

 private:
  struct Inode {
    bool is_dir = false;
    std::string data, durable;                            // files
    std::map<std::string, int> entries, durable_entries;  // directories
  };

  int new_inode(bool is_dir) {
    inodes_.push_back(Inode{});
    inodes_.back().is_dir = is_dir;
    return static_cast<int>(inodes_.size() - 1);
  }

  // What exists when the double is made is durable.
  void load(const fs::path& dir, int inode) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      const int child = new_inode(entry.is_directory());
      if (entry.is_directory()) {
        load(entry.path(), child);
      } else {
        inodes_[child].data = inodes_[child].durable = read_bytes(entry.path());
      }
      inodes_[inode].entries[entry.path().filename()] = child;
    }
    inodes_[inode].durable_entries = inodes_[inode].entries;
  }

  bool modeled(const std::string& path) const {
    return path.size() > root_.size() && path.compare(0, root_.size(), root_) == 0 &&
           path[root_.size()] == '/';
  }
  static std::string parent(const std::string& path) { return path.substr(0, path.rfind('/')); }

  // The inode at `path` in the current tree, or -1.
  int lookup(const std::string& path) const {
    if (path == root_) return root_inode_;
    if (!modeled(path)) return -1;
    const int dir = lookup(parent(path));
    if (dir < 0) return -1;
    const auto& entries = inodes_[dir].entries;
    auto found = entries.find(base_name(path));
    return found == entries.end() ? -1 : found->second;
  }
  std::map<std::string, int>& entries_of(const std::string& dir) {
    static std::map<std::string, int> unmodeled;
    const int inode = lookup(dir);
    return inode >= 0 ? inodes_[inode].entries : (unmodeled.clear(), unmodeled);
  }

  // A file's bytes after the cut. Unsynced writes (appends or overwrites)
  // may be lost, there whole, there in part, or there as zeros or garbage.
  std::string file_after_cut(const Inode& file, PowerCut mode, std::mt19937& random) {
    if (mode == PowerCut::kDropUnsynced || file.data == file.durable) return file.durable;
    size_t first = 0;  // the first byte the unsynced writes changed
    while (first < file.data.size() && first < file.durable.size() &&
           file.data[first] == file.durable[first]) {
      ++first;
    }
    if (first >= file.data.size()) return random() % 2 ? file.data : file.durable;  // a cut
    const size_t changed = file.data.size() - first;
    const size_t kept = random() % (changed + 1);
    std::string torn = file.durable;
    if (torn.size() < first + kept) torn.resize(first + kept, '\0');
    switch (random() % 5) {
      case 0:
        return file.durable;
      case 1:
        return file.data;
      case 2:  // part of the writes
        torn.replace(first, kept, file.data, first, kept);
        return torn;
      case 3:  // zeros where they went
        torn.replace(first, kept, std::string(kept, '\0'));
        return torn;
      default: {  // garbage where they went
        std::string garbage(kept, '\0');
        for (char& c : garbage) c = static_cast<char>(random());
        torn.replace(first, kept, garbage);
        return torn;
      }
    }
  }

  void restore(const fs::path& dir, int inode, PowerCut mode, std::mt19937& random) {
    const Inode& node = inodes_[inode];
    std::map<std::string, int> entries = node.durable_entries;
    if (mode == PowerCut::kAnySubset) {
      // Each name that changed since the last sync_dir is old or new at random.
      for (const auto& [name, child] : node.entries) {
        auto durable = node.durable_entries.find(name);
        if ((durable == node.durable_entries.end() || durable->second != child) && random() % 2) {
          entries[name] = child;
        }
      }
      for (const auto& [name, child] : node.durable_entries) {
        if (!node.entries.count(name) && random() % 2) entries.erase(name);
      }
    }
    for (const auto& [name, child] : entries) {
      if (inodes_[child].is_dir) {
        fs::create_directory(dir / name);
        restore(dir / name, child, mode, random);
      } else {
        write_bytes(dir / name, file_after_cut(inodes_[child], mode, random));
      }
    }
  }

  const std::string root_;
  FileSystemStorage real_;
  mutable std::mutex mutex_;
  std::vector<Inode> inodes_;
  int root_inode_ = 0;
  int calls_ = 0;
  int die_at_ = -1;
};

// A file whose writes are recorded in the model.
class PowerCutFile final : public WritableFile {
 public:
  PowerCutFile(PowerCutStorage* storage, std::string path, std::unique_ptr<WritableFile> base)
      : storage_(storage),
        path_(std::move(path)),
        inode_(storage->inode_of(path_)),
        base_(std::move(base)) {}
  Status append(std::string_view data) override {
    WAL_RETURN_IF_ERROR(storage_->tick(path_));
    WAL_RETURN_IF_ERROR(base_->append(data));
    storage_->appended(inode_, data);
    return Status::ok();
  }
  Status sync() override {
    WAL_RETURN_IF_ERROR(storage_->tick(path_));
    WAL_RETURN_IF_ERROR(base_->sync());
    storage_->synced(inode_);
    return Status::ok();
  }
  Status close() override {
    WAL_RETURN_IF_ERROR(storage_->tick(path_));
    return base_->close();
  }

 private:
  PowerCutStorage* storage_;
  std::string path_;
  int inode_;
  std::unique_ptr<WritableFile> base_;
};

inline Result<std::unique_ptr<WritableFile>> PowerCutStorage::new_writable_file(
    const std::string& path) {
  WAL_RETURN_IF_ERROR(tick(path));
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, real_.new_writable_file(path));
  {
    std::lock_guard lock(mutex_);
    if (modeled(path)) {
      const int inode = new_inode(false);
      entries_of(parent(path))[base_name(path)] = inode;
    }
  }
  return std::unique_ptr<WritableFile>(std::make_unique<PowerCutFile>(this, path, std::move(file)));
}

// A positional file whose writes are recorded in the model.
class PowerCutPositionalFile final : public PositionalFile {
 public:
  PowerCutPositionalFile(PowerCutStorage* storage, std::string path,
                         std::unique_ptr<PositionalFile> base)
      : storage_(storage),
        path_(std::move(path)),
        inode_(storage->inode_of(path_)),
        base_(std::move(base)) {}
  Result<std::string> read_at(uint64_t offset, size_t n) override {
    WAL_RETURN_IF_ERROR(storage_->tick(path_));
    return base_->read_at(offset, n);
  }
  Status write_at(uint64_t offset, std::string_view data) override {
    WAL_RETURN_IF_ERROR(storage_->tick(path_));
    WAL_RETURN_IF_ERROR(base_->write_at(offset, data));
    storage_->written_at(inode_, offset, data);
    return Status::ok();
  }
  Status truncate(uint64_t size) override {
    WAL_RETURN_IF_ERROR(storage_->tick(path_));
    WAL_RETURN_IF_ERROR(base_->truncate(size));
    storage_->truncated(inode_, size);
    return Status::ok();
  }
  Status sync() override {
    WAL_RETURN_IF_ERROR(storage_->tick(path_));
    WAL_RETURN_IF_ERROR(base_->sync());
    storage_->synced(inode_);
    return Status::ok();
  }
  Result<uint64_t> size() override { return base_->size(); }
  Status close() override {
    WAL_RETURN_IF_ERROR(storage_->tick(path_));
    return base_->close();
  }

 private:
  PowerCutStorage* storage_;
  std::string path_;
  int inode_;
  std::unique_ptr<PositionalFile> base_;
};

inline Result<std::unique_ptr<PositionalFile>> PowerCutStorage::open_positional_file(
    const std::string& path, bool create) {
  WAL_RETURN_IF_ERROR(tick(path));
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<PositionalFile> file,
                       real_.open_positional_file(path, create));
  created(path);
  return std::unique_ptr<PositionalFile>(
      std::make_unique<PowerCutPositionalFile>(this, path, std::move(file)));
}

}  // namespace wal::testing
