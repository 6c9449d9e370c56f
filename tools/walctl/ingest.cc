// walctl ingest: JSON Lines in, one outcome line out per message, each
// printed and flushed only after persist has made the message durable, so a
// reader can trust every line it has received even if walctl is killed.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "commands.h"
#include "ingest_line.h"
#include "line_reader.h"
#include "wal/json.h"

namespace walctl {
namespace {

using Clock = std::chrono::steady_clock;

struct Counts {
  uint64_t written = 0;
  uint64_t duplicate = 0;
  uint64_t too_old = 0;  // exact dedup: below the window, not written
  uint64_t rejected = 0;
};

// A one-line progress display on stderr, drawn only when it is a terminal.
class Progress {
 public:
  Progress() : enabled_(::isatty(STDERR_FILENO) == 1), start_(Clock::now()) {
    struct stat info;
    if (::fstat(STDIN_FILENO, &info) == 0 && S_ISREG(info.st_mode) && info.st_size > 0) {
      total_bytes_ = static_cast<uint64_t>(info.st_size);
    }
  }

  void update(const LineReader& reader, const Counts& counts, bool final) {
    if (!enabled_) return;
    const Clock::time_point now = Clock::now();
    if (!final && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate =
        seconds > 0
            ? static_cast<double>(counts.written + counts.duplicate + counts.too_old) / seconds
            : 0;
    std::string bar;
    if (total_bytes_) {
      const uint64_t done = std::min(reader.bytes_consumed(), *total_bytes_);
      const int filled = static_cast<int>(30 * done / *total_bytes_);
      bar = "[" + std::string(filled, '#') + std::string(30 - filled, '.') + "] " +
            std::to_string(100 * done / *total_bytes_) + "% ";
    }
    std::fprintf(stderr,
                 "\r%sline %llu: %llu written, %llu duplicate, %llu too old, %llu rejected, "
                 "%.0f msg/s%s",
                 bar.c_str(), static_cast<unsigned long long>(reader.line_number()),
                 static_cast<unsigned long long>(counts.written),
                 static_cast<unsigned long long>(counts.duplicate),
                 static_cast<unsigned long long>(counts.too_old),
                 static_cast<unsigned long long>(counts.rejected), rate, final ? "\n" : "");
  }

 private:
  bool enabled_;
  Clock::time_point start_;
  Clock::time_point last_draw_{};
  std::optional<uint64_t> total_bytes_;
};

// An answer the caller cannot read is as good as none: ingest stops on it.
[[nodiscard]] wal::Status print_and_flush(const wal::Json& line) {
  const std::string text = line.dump() + "\n";
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    return wal::Status::io_error("write", "standard output", errno);
  }
  return wal::Status::ok();
}

// A rejected line: reported on stderr and, so that every input line has an
// answer, on stdout.
[[nodiscard]] wal::Status reject(uint64_t line_number, const wal::Status& why, Counts& counts) {
  ++counts.rejected;
  std::cerr << "walctl: ingest: line " << line_number << ": " << why.to_string() << std::endl;
  return print_and_flush(
      {{"line", line_number}, {"outcome", "rejected"}, {"error", why.to_string()}});
}

ExitCode answer_lost(const wal::Status& why, uint64_t line_number) {
  std::cerr << "walctl: ingest stopped at line " << line_number
            << ": its answer could not be written. That line and every one before it were "
               "handled (a persisted message redelivered is answered duplicate)"
            << std::endl;
  return report_error(why);
}

// Errors that concern one message go on to the next line; errors of the
// directory or the instance stop ingest, since nothing after them can succeed.
bool stops_ingest(const wal::Status& status) {
  return status.code() != wal::Code::kInvalidArgument && status.code() != wal::Code::kCorruption;
}

}  // namespace

ExitCode run_ingest(const GlobalOptions& options) {
  auto log = open_log(options);
  if (!log.is_ok()) return report_error(log.status());

  // A line holds one record plus its envelope; the record limit is the
  // engine's. Twice it leaves room for escapes in the envelope.
  constexpr size_t kMaxLineBytes = 2 * (16u << 20);
  LineReader reader(STDIN_FILENO, kMaxLineBytes);
  Progress progress;
  Counts counts;
  ExitCode result = kExitOk;
  std::string line;
  for (;;) {
    auto next = reader.next(&line);
    if (!next.is_ok()) {
      progress.update(reader, counts, true);
      return worse(result, report_error(next.status()));
    }
    if (*next == LineReader::Outcome::kEnd) break;
    const uint64_t number = reader.line_number();
    if (*next == LineReader::Outcome::kTooLong) {
      const wal::Status answered = reject(
          number,
          wal::Status::invalid_argument("longer than " + std::to_string(kMaxLineBytes) + " bytes"),
          counts);
      if (!answered.is_ok()) return worse(result, answer_lost(answered, number));
      result = worse(result, kExitUsage);
      continue;
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank line
    auto message = parse_ingest_line(line);
    if (!message.is_ok()) {
      const wal::Status answered = reject(number, message.status(), counts);
      if (!answered.is_ok()) return worse(result, answer_lost(answered, number));
      result = worse(result, kExitUsage);
      continue;
    }
    auto outcome = (*log)->persist(message->client_id, message->data, message->message_id);
    if (!outcome.is_ok()) {
      if (stops_ingest(outcome.status())) {
        progress.update(reader, counts, true);
        std::cerr << "walctl: ingest stopped at line " << number
                  << "; every line printed before this one is durable" << std::endl;
        return worse(result, report_error(outcome.status()));
      }
      const wal::Status answered = reject(number, outcome.status(), counts);
      if (!answered.is_ok()) return worse(result, answer_lost(answered, number));
      result = worse(result, exit_code_for(outcome.status()));
      continue;
    }
    switch (*outcome) {
      case wal::PersistOutcome::kWritten:
        ++counts.written;
        break;
      case wal::PersistOutcome::kDuplicate:
        ++counts.duplicate;
        break;
      case wal::PersistOutcome::kTooOld:
        ++counts.too_old;
        break;
    }
    const wal::Status answered = print_and_flush({{"line", number},
                                                  {"client", message->client_id},
                                                  {"id", message->message_id},
                                                  {"outcome", wal::outcome_name(*outcome)}});
    if (!answered.is_ok()) {
      progress.update(reader, counts, true);
      return worse(result, answer_lost(answered, number));
    }
    progress.update(reader, counts, false);
  }
  progress.update(reader, counts, true);
  return result;
}

}  // namespace walctl
