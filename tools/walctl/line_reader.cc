#include "line_reader.h"

#include <unistd.h>

#include <cerrno>

namespace walctl {

namespace {
constexpr size_t kChunk = 64 * 1024;
}

LineReader::LineReader(int fd, size_t max_line_bytes) : fd_(fd), max_line_bytes_(max_line_bytes) {}

wal::Status LineReader::fill() {
  if (position_ > 0) {
    buffer_.erase(0, position_);
    position_ = 0;
  }
  const size_t old_size = buffer_.size();
  buffer_.resize(old_size + kChunk);
  ssize_t got;
  do {
    got = ::read(fd_, buffer_.data() + old_size, kChunk);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    buffer_.resize(old_size);
    return wal::Status::io_error("read", "standard input", errno);
  }
  buffer_.resize(old_size + static_cast<size_t>(got));
  if (got == 0) at_end_ = true;
  return wal::Status::ok();
}

wal::Result<LineReader::Outcome> LineReader::next(std::string* line) {
  bool too_long = false;
  size_t scanned = 0;  // bytes after position_ known to hold no newline
  for (;;) {
    const size_t newline = buffer_.find('\n', position_ + scanned);
    if (newline != std::string::npos) {
      const size_t length = newline - position_;
      ++line_number_;
      bytes_consumed_ += length + 1;
      if (!too_long && length <= max_line_bytes_) line->assign(buffer_, position_, length);
      position_ = newline + 1;
      return too_long || length > max_line_bytes_ ? Outcome::kTooLong : Outcome::kLine;
    }
    if (at_end_) {
      const size_t length = buffer_.size() - position_;
      if (length == 0 && !too_long) return Outcome::kEnd;
      ++line_number_;
      bytes_consumed_ += length;
      if (!too_long && length <= max_line_bytes_) line->assign(buffer_, position_, length);
      position_ = buffer_.size();
      return too_long || length > max_line_bytes_ ? Outcome::kTooLong : Outcome::kLine;
    }
    scanned = buffer_.size() - position_;
    if (scanned > max_line_bytes_) {
      // Drop what we hold of the over-long line; keep reading to its end.
      too_long = true;
      bytes_consumed_ += scanned;
      position_ = buffer_.size();
      scanned = 0;
    }
    WAL_RETURN_IF_ERROR(fill());
  }
}

}  // namespace walctl
