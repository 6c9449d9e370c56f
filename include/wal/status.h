// Status and Result<T>: every fallible call in wal returns one of these.
//
// A Status carries a code a caller can act on, a human message, and where it
// applies the path, the byte offset inside that file and the errno value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace wal {

enum class Code {
  kOk = 0,
  kInvalidArgument,  // the caller passed something we refuse; fix the call
  kCorruption,       // data on disk is damaged; run `walctl verify`
  kIOError,          // an operating-system call failed; see errno and path
  kNoSpace,          // ENOSPC or EDQUOT: free space, then retry
  kLocked,           // another process holds the data directory
  kFailed,           // an earlier durability failure: reopen the instance
  kNotFound,         // a file or directory that must exist does not
};

// The short lower-case name of a code, as printed by Status::to_string().
const char* code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status ok() { return Status(); }
  static Status invalid_argument(std::string message);
  static Status corruption(std::string path, uint64_t offset, std::string message);
  static Status corruption(std::string message);
  // Maps errno: ENOSPC/EDQUOT become kNoSpace, ENOENT kNotFound, others kIOError.
  static Status io_error(std::string operation, std::string path, int error_number);
  static Status locked(std::string path, std::string message);
  static Status failed(std::string message);
  static Status not_found(std::string path, std::string message);

  bool is_ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& path() const { return path_; }
  std::optional<uint64_t> offset() const { return offset_; }
  int error_number() const { return errno_; }

  // "corruption: /d/c/log_1_2.log at offset 17: crc32c mismatch ..."
  std::string to_string() const;

  // A copy with "context: " put before the message.
  Status with_context(const std::string& context) const;

  // Marks the status as already reported, so that callers may drop it on purpose.
  void ignore_error() const {}

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string message_;
  std::string path_;
  std::optional<uint64_t> offset_;
  int errno_ = 0;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(state_).is_ok()) {
      state_ = Status::failed("internal error: Result built from an OK status without a value");
    }
  }

  bool is_ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return is_ok(); }

  const T& value() const& { return std::get<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  // By value from a temporary, so `for (auto& x : *f())` cannot dangle.
  T value() && { return std::get<T>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // OK when a value is present.
  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(state_);
  }

 private:
  std::variant<T, Status> state_;
};

}  // namespace wal

// Returns early from the enclosing function when `expr` is not OK.
#define WAL_RETURN_IF_ERROR(expr)                 \
  do {                                            \
    ::wal::Status wal_status_ = (expr);           \
    if (!wal_status_.is_ok()) return wal_status_; \
  } while (0)

#define WAL_CONCAT_INNER(a, b) a##b
#define WAL_CONCAT(a, b) WAL_CONCAT_INNER(a, b)

// `WAL_ASSIGN_OR_RETURN(auto x, f());` declares x from a Result, or returns its Status.
#define WAL_ASSIGN_OR_RETURN(lhs, expr) \
  WAL_ASSIGN_OR_RETURN_IMPL(WAL_CONCAT(wal_result_, __LINE__), lhs, expr)
#define WAL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.is_ok()) return tmp.status();          \
  lhs = std::move(tmp).value()
