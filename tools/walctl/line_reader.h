// Reads lines from a file descriptor with a bound on their length, so one
// hostile line cannot exhaust memory. Counts bytes for progress reports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "wal/status.h"

namespace walctl {

class LineReader {
 public:
  LineReader(int fd, size_t max_line_bytes);

  enum class Outcome { kLine, kTooLong, kEnd };
  // The next line without its '\n' (a final line without one counts). A line
  // longer than the bound is skipped up to its newline and reported kTooLong.
  wal::Result<Outcome> next(std::string* line);

  uint64_t line_number() const { return line_number_; }
  uint64_t bytes_consumed() const { return bytes_consumed_; }

 private:
  wal::Status fill();

  int fd_;
  size_t max_line_bytes_;
  std::string buffer_;
  size_t position_ = 0;
  bool at_end_ = false;
  uint64_t line_number_ = 0;
  uint64_t bytes_consumed_ = 0;
};

}  // namespace walctl
