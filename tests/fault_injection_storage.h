// A Storage double that forwards to a real one and fails chosen calls.
//
// Counting every call lets a test stop the world after call k ("the process
// died here"): every later call fails, and the test reopens the directory
// with a fresh storage to see what a restarted process would find.
#pragma once

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "wal/storage.h"

namespace wal::testing {

enum class Op {
  kCreate,
  kAppend,
  kSync,
  kClose,
  kRead,
  kSyncFile,
  kRename,
  kRemove,
  kCreateDir,
  kRemoveDir,
  kSyncDir,
  kList,
  kLock,
  kOpen,      // open_positional_file
  kWriteAt,   // PositionalFile::write_at
  kReadAt,    // PositionalFile::read_at
  kTruncate,  // PositionalFile::truncate
};

class FaultInjectionStorage final : public Storage {
 public:
  explicit FaultInjectionStorage(std::shared_ptr<Storage> base) : base_(std::move(base)) {}

  // Fails the nth call of `op` counted from now (1 = the next one) with
  // `error`; with `persistent`, every later call of `op` too.
  void fail(Op op, int nth, int error, bool persistent = false) {
    std::lock_guard lock(mutex_);
    faults_[op] = Fault{seen_[op] + nth, error, persistent};
  }

  // Clears every fault set with fail(): the disk works again.
  void heal() {
    std::lock_guard lock(mutex_);
    faults_.clear();
  }

  // Records the op and path of every call from now on (see trace()).
  void start_trace() {
    std::lock_guard lock(mutex_);
    tracing_ = true;
    trace_.clear();
  }
  std::vector<std::pair<Op, std::string>> trace() const {
    std::lock_guard lock(mutex_);
    return trace_;
  }

  // Lets `calls` more calls through, then fails every call: a crash.
  void crash_after(int calls) {
    std::lock_guard lock(mutex_);
    crash_at_ = total_ + calls;
  }

  int calls() const {
    std::lock_guard lock(mutex_);
    return total_;
  }

  // How many calls of `op` were made so far.
  int count(Op op) const {
    std::lock_guard lock(mutex_);
    auto it = seen_.find(op);
    return it == seen_.end() ? 0 : it->second;
  }

  // How many bytes PositionalFile::read_at returned so far.
  uint64_t bytes_read() const {
    std::lock_guard lock(mutex_);
    return bytes_read_;
  }
  void count_bytes_read(uint64_t bytes) {
    std::lock_guard lock(mutex_);
    bytes_read_ += bytes;
  }

  // Makes every file sync take at least `delay`: a slow disk.
  void set_sync_delay(std::chrono::microseconds delay) {
    std::lock_guard lock(mutex_);
    sync_delay_ = delay;
  }
  void delay_sync() {
    std::chrono::microseconds delay;
    {
      std::lock_guard lock(mutex_);
      delay = sync_delay_;
    }
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
  }

  // While paused, every PositionalFile::read_at waits (after its fault
  // check) until resume_reads(): a reader caught mid-way.
  void pause_reads() {
    std::lock_guard lock(mutex_);
    reads_paused_ = true;
  }
  void resume_reads() {
    {
      std::lock_guard lock(mutex_);
      reads_paused_ = false;
    }
    reads_resumed_.notify_all();
  }
  // Whether a read is waiting on pause_reads(), after up to `timeout`.
  bool wait_for_paused_reader(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return reader_paused_.wait_for(lock, timeout, [&] { return paused_readers_ > 0; });
  }
  void wait_while_reads_paused() {
    std::unique_lock lock(mutex_);
    if (!reads_paused_) return;
    ++paused_readers_;
    reader_paused_.notify_all();
    reads_resumed_.wait(lock, [&] { return !reads_paused_; });
    --paused_readers_;
  }

  void set_clock(uint64_t millis, int64_t step) {
    std::lock_guard lock(mutex_);
    clock_ = millis;
    clock_step_ = step;
    fixed_clock_ = true;
  }

  Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path) override;
  Result<std::unique_ptr<PositionalFile>> open_positional_file(const std::string& path,
                                                               bool create) override;
  Result<std::string> read_file(const std::string& path) override {
    WAL_RETURN_IF_ERROR(check(Op::kRead, path));
    return base_->read_file(path);
  }
  Status sync_file(const std::string& path) override {
    WAL_RETURN_IF_ERROR(check(Op::kSyncFile, path));
    return base_->sync_file(path);
  }
  Status rename_file(const std::string& from, const std::string& to) override {
    WAL_RETURN_IF_ERROR(check(Op::kRename, from));
    return base_->rename_file(from, to);
  }
  Status remove_file(const std::string& path) override {
    WAL_RETURN_IF_ERROR(check(Op::kRemove, path));
    return base_->remove_file(path);
  }
  Result<bool> create_dir(const std::string& path) override {
    WAL_RETURN_IF_ERROR(check(Op::kCreateDir, path));
    return base_->create_dir(path);
  }
  Status remove_dir(const std::string& path) override {
    WAL_RETURN_IF_ERROR(check(Op::kRemoveDir, path));
    return base_->remove_dir(path);
  }
  Status sync_dir(const std::string& path) override {
    WAL_RETURN_IF_ERROR(check(Op::kSyncDir, path));
    return base_->sync_dir(path);
  }
  Result<std::vector<DirEntry>> list_dir(const std::string& path) override {
    WAL_RETURN_IF_ERROR(check(Op::kList, path));
    return base_->list_dir(path);
  }
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) override {
    WAL_RETURN_IF_ERROR(check(Op::kLock, path));
    return base_->lock_file(path);
  }
  uint64_t now_millis() override {
    std::lock_guard lock(mutex_);
    if (!fixed_clock_) return base_->now_millis();
    const uint64_t now = clock_;
    clock_ = static_cast<uint64_t>(static_cast<int64_t>(clock_) + clock_step_);
    return now;
  }

  // Counts one call of `op` and says whether it fails.
  Status check(Op op, const std::string& path) {
    std::lock_guard lock(mutex_);
    ++total_;
    const int seen = ++seen_[op];
    if (tracing_) trace_.emplace_back(op, path);
    if (crash_at_ >= 0 && total_ > crash_at_) return Status::io_error("crashed", path, EIO);
    auto fault = faults_.find(op);
    if (fault != faults_.end() &&
        (seen == fault->second.nth || (fault->second.persistent && seen > fault->second.nth))) {
      return Status::io_error("injected fault", path, fault->second.error);
    }
    return Status::ok();
  }

 private:
  struct Fault {
    int nth = 0;
    int error = EIO;
    bool persistent = false;
  };

  std::shared_ptr<Storage> base_;
  mutable std::mutex mutex_;
  std::map<Op, Fault> faults_;
  std::map<Op, int> seen_;
  int total_ = 0;
  uint64_t bytes_read_ = 0;
  int crash_at_ = -1;
  bool tracing_ = false;
  std::vector<std::pair<Op, std::string>> trace_;
  bool fixed_clock_ = false;
  uint64_t clock_ = 0;
  int64_t clock_step_ = 0;
  std::chrono::microseconds sync_delay_{0};
  bool reads_paused_ = false;
  int paused_readers_ = 0;
  std::condition_variable reads_resumed_;
  std::condition_variable reader_paused_;
};

// A file whose calls go through the storage's fault checks.
class FaultInjectionFile final : public WritableFile {
 public:
  FaultInjectionFile(FaultInjectionStorage* storage, std::string path,
                     std::unique_ptr<WritableFile> base)
      : storage_(storage), path_(std::move(path)), base_(std::move(base)) {}
  Status append(std::string_view data) override {
    WAL_RETURN_IF_ERROR(storage_->check(Op::kAppend, path_));
    return base_->append(data);
  }
  Status sync() override {
    WAL_RETURN_IF_ERROR(storage_->check(Op::kSync, path_));
    return base_->sync();
  }
  Status close() override {
    WAL_RETURN_IF_ERROR(storage_->check(Op::kClose, path_));
    return base_->close();
  }

 private:
  FaultInjectionStorage* storage_;
  std::string path_;
  std::unique_ptr<WritableFile> base_;
};

// A positional file whose calls go through the storage's fault checks; a
// sync counts as Op::kSync and a close as Op::kClose, as for WritableFile.
class FaultInjectionPositionalFile final : public PositionalFile {
 public:
  FaultInjectionPositionalFile(FaultInjectionStorage* storage, std::string path,
                               std::unique_ptr<PositionalFile> base)
      : storage_(storage), path_(std::move(path)), base_(std::move(base)) {}
  Result<std::string> read_at(uint64_t offset, size_t n) override {
    WAL_RETURN_IF_ERROR(storage_->check(Op::kReadAt, path_));
    storage_->wait_while_reads_paused();
    Result<std::string> bytes = base_->read_at(offset, n);
    if (bytes.is_ok()) storage_->count_bytes_read(bytes->size());
    return bytes;
  }
  Status write_at(uint64_t offset, std::string_view data) override {
    WAL_RETURN_IF_ERROR(storage_->check(Op::kWriteAt, path_));
    return base_->write_at(offset, data);
  }
  Status truncate(uint64_t size) override {
    WAL_RETURN_IF_ERROR(storage_->check(Op::kTruncate, path_));
    return base_->truncate(size);
  }
  Status sync() override {
    WAL_RETURN_IF_ERROR(storage_->check(Op::kSync, path_));
    storage_->delay_sync();
    return base_->sync();
  }
  Result<uint64_t> size() override { return base_->size(); }
  Status close() override {
    WAL_RETURN_IF_ERROR(storage_->check(Op::kClose, path_));
    return base_->close();
  }

 private:
  FaultInjectionStorage* storage_;
  std::string path_;
  std::unique_ptr<PositionalFile> base_;
};

inline Result<std::unique_ptr<PositionalFile>> FaultInjectionStorage::open_positional_file(
    const std::string& path, bool create) {
  WAL_RETURN_IF_ERROR(check(Op::kOpen, path));
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<PositionalFile> file,
                       base_->open_positional_file(path, create));
  return std::unique_ptr<PositionalFile>(
      std::make_unique<FaultInjectionPositionalFile>(this, path, std::move(file)));
}

inline Result<std::unique_ptr<WritableFile>> FaultInjectionStorage::new_writable_file(
    const std::string& path) {
  WAL_RETURN_IF_ERROR(check(Op::kCreate, path));
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, base_->new_writable_file(path));
  return std::unique_ptr<WritableFile>(
      std::make_unique<FaultInjectionFile>(this, path, std::move(file)));
}

// Runs `act` in a fresh world that crashes after k storage calls, for k = 0,
// 1, 2, ... until `act` completes within k calls. `open` makes the world and
// returns {log, the storage to crash}; `act(log)` returns whether the call
// was acknowledged; `check(acknowledged, k)` looks at what a restart finds.
// Returns the number of crash points tried.
template <typename Open, typename Act, typename Check>
int crash_at_every_call(const Open& open, const Act& act, const Check& check) {
  for (int k = 0;; ++k) {
    auto [log, storage] = open();
    storage->crash_after(k);
    const int calls_before = storage->calls();
    const bool acknowledged = act(*log);
    const bool finished = storage->calls() - calls_before <= k;
    log.reset();  // the process is gone
    check(acknowledged, k);
    if (finished) return k + 1;
  }
}

}  // namespace wal::testing
