#include "wal/file_system_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace wal {
namespace {

// Repeats a system call while it fails with EINTR.
template <typename Call>
auto retry_on_eintr(Call call) {
  decltype(call()) result;
  do {
    result = call();
  } while (result == -1 && errno == EINTR);
  return result;
}

Status sync_fd(int fd, const std::string& path) {
  if (fd < 0) return Status::failed("sync of closed file " + path);
  if (retry_on_eintr([&] { return ::fdatasync(fd); }) != 0) {
    return Status::io_error("fdatasync", path, errno);
  }
  return Status::ok();
}

Status close_fd(int* fd, const std::string& path) {
  if (*fd < 0) return Status::ok();
  const int closing = *fd;
  *fd = -1;
  // close(2) must not be retried on EINTR on Linux: the descriptor is gone.
  if (::close(closing) != 0 && errno != EINTR) return Status::io_error("close", path, errno);
  return Status::ok();
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status append(std::string_view data) override {
    if (fd_ < 0) return Status::failed("append to closed file " + path_);
    while (!data.empty()) {
      const ssize_t written =
          retry_on_eintr([&] { return ::write(fd_, data.data(), data.size()); });
      if (written < 0) return Status::io_error("write", path_, errno);
      data.remove_prefix(static_cast<size_t>(written));  // a short write continues the loop
    }
    return Status::ok();
  }

  Status sync() override { return sync_fd(fd_, path_); }

  Status close() override { return close_fd(&fd_, path_); }

 private:
  std::string path_;
  int fd_;
};

class PosixPositionalFile final : public PositionalFile {
 public:
  PosixPositionalFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixPositionalFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Result<std::string> read_at(uint64_t offset, size_t n) override {
    if (fd_ < 0) return Status::failed("read of closed file " + path_);
    std::string data(n, '\0');
    size_t got = 0;
    while (got < n) {
      const ssize_t result = retry_on_eintr([&] {
        return ::pread(fd_, data.data() + got, n - got, static_cast<off_t>(offset + got));
      });
      if (result < 0) return Status::io_error("pread", path_, errno);
      if (result == 0) break;  // end of file
      got += static_cast<size_t>(result);
    }
    data.resize(got);
    return data;
  }

  Status write_at(uint64_t offset, std::string_view data) override {
    if (fd_ < 0) return Status::failed("write to closed file " + path_);
    while (!data.empty()) {
      const ssize_t written = retry_on_eintr(
          [&] { return ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset)); });
      if (written < 0) return Status::io_error("pwrite", path_, errno);
      data.remove_prefix(static_cast<size_t>(written));
      offset += static_cast<uint64_t>(written);
    }
    return Status::ok();
  }

  Status truncate(uint64_t size) override {
    if (fd_ < 0) return Status::failed("truncate of closed file " + path_);
    if (retry_on_eintr([&] { return ::ftruncate(fd_, static_cast<off_t>(size)); }) != 0) {
      return Status::io_error("ftruncate", path_, errno);
    }
    return Status::ok();
  }

  Status sync() override { return sync_fd(fd_, path_); }

  Result<uint64_t> size() override {
    struct stat info {};
    if (::fstat(fd_, &info) != 0) return Status::io_error("fstat", path_, errno);
    return static_cast<uint64_t>(info.st_size);
  }

  Status close() override { return close_fd(&fd_, path_); }

 private:
  std::string path_;
  int fd_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }  // releases the flock

 private:
  int fd_;
};

// Opens `path` read-only and syncs it: fsync for a directory, fdatasync for a file.
Status open_and_sync(const std::string& path, int flags, const char* operation) {
  const int fd = retry_on_eintr([&] { return ::open(path.c_str(), flags | O_CLOEXEC); });
  if (fd < 0) return Status::io_error("open for sync", path, errno);
  const bool directory = (flags & O_DIRECTORY) != 0;
  const int result = retry_on_eintr([&] { return directory ? ::fsync(fd) : ::fdatasync(fd); });
  const int error = errno;
  ::close(fd);
  if (result != 0) return Status::io_error(operation, path, error);
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<WritableFile>> FileSystemStorage::new_writable_file(
    const std::string& path) {
  const int fd = retry_on_eintr(
      [&] { return ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644); });
  if (fd < 0) return Status::io_error("open for writing", path, errno);
  return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(path, fd));
}

Result<std::unique_ptr<PositionalFile>> FileSystemStorage::open_positional_file(
    const std::string& path, bool create) {
  const int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
  int fd = retry_on_eintr([&] { return ::open(path.c_str(), flags, 0644); });
  if (fd < 0 && !create && (errno == EROFS || errno == EACCES)) {
    // Read only (an operator inspecting a read-only copy): reads work, writes fail.
    fd = retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
  }
  if (fd < 0) return Status::io_error("open for positional i/o", path, errno);
  return std::unique_ptr<PositionalFile>(std::make_unique<PosixPositionalFile>(path, fd));
}

Result<std::string> FileSystemStorage::read_file(const std::string& path) {
  const int fd = retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
  if (fd < 0) return Status::io_error("open for reading", path, errno);
  std::string contents;
  struct stat info {};
  if (::fstat(fd, &info) == 0 && info.st_size > 0)
    contents.reserve(static_cast<size_t>(info.st_size));
  char buffer[64 * 1024];
  while (true) {
    const ssize_t got = retry_on_eintr([&] { return ::read(fd, buffer, sizeof buffer); });
    if (got < 0) {
      const int error = errno;
      ::close(fd);
      return Status::io_error("read", path, error);
    }
    if (got == 0) break;
    contents.append(buffer, static_cast<size_t>(got));
  }
  ::close(fd);
  return contents;
}

Status FileSystemStorage::sync_file(const std::string& path) {
  return open_and_sync(path, O_RDONLY, "fdatasync");
}

Status FileSystemStorage::rename_file(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return Status::io_error("rename to " + to, from, errno);
  }
  return Status::ok();
}

Status FileSystemStorage::remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return Status::io_error("unlink", path, errno);
  return Status::ok();
}

Result<bool> FileSystemStorage::create_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0) return true;
  const int error = errno;
  struct stat info {};
  if (error == EEXIST && ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) return false;
  return Status::io_error("mkdir", path, error);
}

Status FileSystemStorage::remove_dir(const std::string& path) {
  if (::rmdir(path.c_str()) != 0) return Status::io_error("rmdir", path, errno);
  return Status::ok();
}

Status FileSystemStorage::sync_dir(const std::string& path) {
  return open_and_sync(path, O_RDONLY | O_DIRECTORY, "fsync directory");
}

Result<std::vector<DirEntry>> FileSystemStorage::list_dir(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return Status::io_error("opendir", path, errno);
  std::vector<DirEntry> entries;
  while (true) {
    errno = 0;
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      const int error = errno;
      ::closedir(dir);
      if (error != 0) return Status::io_error("readdir", path, error);
      break;
    }
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    DirEntry::Type type = DirEntry::Type::kOther;
    unsigned char d_type = entry->d_type;
    if (d_type == DT_UNKNOWN) {  // some file systems do not fill d_type
      struct stat info {};
      if (::lstat((path + "/" + name).c_str(), &info) == 0) {
        d_type = S_ISREG(info.st_mode) ? DT_REG : S_ISDIR(info.st_mode) ? DT_DIR : DT_UNKNOWN;
      }
    }
    if (d_type == DT_REG) type = DirEntry::Type::kFile;
    if (d_type == DT_DIR) type = DirEntry::Type::kDirectory;
    entries.push_back({name, type});
  }
  return entries;
}

Result<std::unique_ptr<FileLock>> FileSystemStorage::lock_file(const std::string& path) {
  int fd = retry_on_eintr([&] { return ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644); });
  const bool read_only = fd < 0 && errno == EROFS;
  if (read_only) {
    // A read-only file system (a mounted backup, or a read-only bind mount of
    // a live directory): flock needs no write access, and still meets the
    // lock of a writer through another mount.
    fd = retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
    // No lock file: no wal instance has opened the directory, and none can
    // create one through this mount.
    if (fd < 0 && errno == ENOENT) return std::make_unique<FileLock>();
  }
  if (fd < 0) return Status::io_error("open lock file", path, errno);
  if (retry_on_eintr([&] { return ::flock(fd, LOCK_EX | LOCK_NB); }) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      auto holder = read_file(path);
      std::string pid = holder.is_ok() && !holder->empty() ? " (pid " + *holder + ")" : "";
      return Status::locked(
          path, "another wal instance" + pid + " has the directory open; close it first");
    }
    return Status::io_error("flock", path, error);
  }
  // The holder's pid, for the message a second opener gets; best effort.
  const std::string pid = std::to_string(::getpid());
  if (!read_only && ::ftruncate(fd, 0) == 0 && ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // A lock without the pid still excludes; nothing to do.
  }
  return std::unique_ptr<FileLock>(std::make_unique<PosixFileLock>(fd));
}

uint64_t FileSystemStorage::now_millis() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace wal
