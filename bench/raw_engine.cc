// The bare disk: one append-only file of framed records
//   u32 body length | u32 crc32c(body) | body = u8 client length, client, u64 id, payload
// with every client's highest id kept in memory (rebuilt by one scan at
// open). Concurrent persists share one write and one fdatasync
// (leader/follower group commit) and each returns once its record is durable;
// a batch is one write and one fdatasync. It is the floor under every engine
// that syncs a growing file.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "engine.h"
#include "files.h"
#include "util/crc32c.h"
#include "workload.h"

namespace walbench {
namespace {

[[noreturn]] void fail_errno(const std::string& what) {
  throw EngineError(what + ": " + std::strerror(errno));
}

class RawEngine final : public Engine {
 public:
  ~RawEngine() override { close(); }

  void open(const std::string& dir, Durability durability) override {
    make_dirs(dir);
    path_ = dir + "/log";
    sync_ = durability == Durability::kEachCall;
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) fail_errno("open " + path_);
    const off_t size = ::lseek(fd_, 0, SEEK_END);
    if (size < 0) fail_errno("lseek " + path_);
    contents_.resize(static_cast<size_t>(size));
    read_at(contents_.data(), contents_.size(), 0);
    indexed_end_ = index_from(0);
    // Whatever follows the last valid record is a torn tail: cut it off.
    contents_.resize(indexed_end_);
    if (static_cast<uint64_t>(size) > indexed_end_ &&
        ::ftruncate(fd_, static_cast<off_t>(indexed_end_)) != 0) {
      fail_errno("ftruncate " + path_);
    }
    end_ = indexed_end_;
    if (const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY); dir_fd >= 0) {
      ::fsync(dir_fd);  // the new file's name
      ::close(dir_fd);
    }
  }

  bool persist(const Call& call) override {
    std::unique_lock lock(mutex_);
    uint64_t& highest = highest_id_[*call.client];
    if (highest >= call.id) return false;
    highest = call.id;
    encode(pending_, call);
    const uint64_t mine = ++enqueued_;
    while (durable_ < mine) {
      if (leader_busy_) {
        wake_.wait(lock);
        continue;
      }
      // Leader: write and sync everything queued so far, for all waiters.
      leader_busy_ = true;
      std::string group;
      group.swap(pending_);
      const uint64_t group_end = enqueued_;
      const uint64_t offset = end_;
      end_ += group.size();
      lock.unlock();
      write_at(group.data(), group.size(), offset);
      sync();
      lock.lock();
      durable_ = group_end;
      leader_busy_ = false;
      wake_.notify_all();
    }
    return true;
  }

  size_t persist_batch(std::span<const Call> calls) override {
    std::lock_guard lock(mutex_);
    std::string batch;
    size_t written = 0;
    for (const Call& call : calls) {
      uint64_t& highest = highest_id_[*call.client];
      if (highest >= call.id) continue;
      highest = call.id;
      encode(batch, call);
      ++written;
    }
    write_at(batch.data(), batch.size(), end_);
    end_ += batch.size();
    sync();
    return written;
  }

  std::string merged_content(const std::string& client) override {
    std::lock_guard lock(mutex_);
    if (end_ > indexed_end_) {  // records written since open
      contents_.resize(end_);
      read_at(contents_.data() + indexed_end_, end_ - indexed_end_, indexed_end_);
      indexed_end_ = index_from(indexed_end_);
    }
    std::string merged;
    const auto found = payloads_.find(client);
    if (found == payloads_.end()) return merged;
    for (const auto& [offset, length] : found->second) {
      merge_payload(merged, std::string_view(contents_.data() + offset, length));
    }
    return finish_merge(std::move(merged));
  }

  void close() override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  static void put_u32(std::string& out, uint32_t value) {
    out.append(reinterpret_cast<const char*>(&value), 4);
  }

  static void encode(std::string& out, const Call& call) {
    const std::string& client = *call.client;
    const auto body_length = static_cast<uint32_t>(1 + client.size() + 8 + call.payload.size());
    const size_t start = out.size();
    put_u32(out, body_length);
    put_u32(out, 0);  // the crc, once the body is in place
    out.push_back(static_cast<char>(client.size()));
    out += client;
    out.append(reinterpret_cast<const char*>(&call.id), 8);
    out += call.payload;
    const uint32_t crc = wal::crc32c::value(out.data() + start + 8, body_length);
    std::memcpy(out.data() + start + 4, &crc, 4);
  }

  // Indexes the records of contents_ from `offset`; returns the end of the last valid one.
  uint64_t index_from(uint64_t offset) {
    const uint64_t size = contents_.size();
    while (offset + 8 <= size) {
      uint32_t body_length, crc;
      std::memcpy(&body_length, contents_.data() + offset, 4);
      std::memcpy(&crc, contents_.data() + offset + 4, 4);
      if (body_length < 9 || offset + 8 + body_length > size) break;
      const char* body = contents_.data() + offset + 8;
      if (wal::crc32c::value(body, body_length) != crc) break;
      const size_t client_length = static_cast<uint8_t>(body[0]);
      if (1 + client_length + 8 > body_length) break;
      std::string client(body + 1, client_length);
      uint64_t id;
      std::memcpy(&id, body + 1 + client_length, 8);
      const uint64_t payload_offset = offset + 8 + 1 + client_length + 8;
      payloads_[client].emplace_back(payload_offset, body_length - 1 - client_length - 8);
      uint64_t& highest = highest_id_[client];
      if (id > highest) highest = id;
      offset += 8 + body_length;
    }
    return offset;
  }

  void sync() {
    if (sync_ && ::fdatasync(fd_) != 0) fail_errno("fdatasync " + path_);
  }

  void write_at(const char* data, size_t length, uint64_t offset) {
    while (length > 0) {
      const ssize_t n = ::pwrite(fd_, data, length, static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        fail_errno("pwrite " + path_);
      }
      data += n;
      length -= static_cast<size_t>(n);
      offset += static_cast<uint64_t>(n);
    }
  }

  void read_at(char* data, size_t length, uint64_t offset) {
    while (length > 0) {
      const ssize_t n = ::pread(fd_, data, length, static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        fail_errno("pread " + path_);
      }
      if (n == 0) throw EngineError("short read " + path_);
      data += n;
      length -= static_cast<size_t>(n);
      offset += static_cast<uint64_t>(n);
    }
  }

  std::string path_;
  int fd_ = -1;
  bool sync_ = true;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string contents_;  // the file's bytes up to indexed_end_
  uint64_t indexed_end_ = 0;
  uint64_t end_ = 0;  // where the next record goes
  std::unordered_map<std::string, std::vector<std::pair<uint64_t, uint32_t>>> payloads_;
  std::unordered_map<std::string, uint64_t> highest_id_;
  // Group commit.
  std::string pending_;
  uint64_t enqueued_ = 0;
  uint64_t durable_ = 0;
  bool leader_busy_ = false;
};

}  // namespace

std::unique_ptr<Engine> make_raw_engine() { return std::make_unique<RawEngine>(); }

}  // namespace walbench
