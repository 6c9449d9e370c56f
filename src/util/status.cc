#include "wal/status.h"

#include <cerrno>
#include <cstring>

namespace wal {

const char* code_name(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid argument";
    case Code::kCorruption:
      return "corruption";
    case Code::kIOError:
      return "I/O error";
    case Code::kNoSpace:
      return "no space";
    case Code::kLocked:
      return "locked";
    case Code::kFailed:
      return "failed, reopen required";
    case Code::kNotFound:
      return "not found";
  }
  return "unknown";
}

Status Status::invalid_argument(std::string message) {
  return Status(Code::kInvalidArgument, std::move(message));
}

Status Status::corruption(std::string path, uint64_t offset, std::string message) {
  Status status(Code::kCorruption, std::move(message));
  status.path_ = std::move(path);
  status.offset_ = offset;
  return status;
}

Status Status::corruption(std::string message) {
  return Status(Code::kCorruption, std::move(message));
}

Status Status::io_error(std::string operation, std::string path, int error_number) {
  Code code = Code::kIOError;
  if (error_number == ENOSPC || error_number == EDQUOT) code = Code::kNoSpace;
  if (error_number == ENOENT) code = Code::kNotFound;
  Status status(code, std::move(operation) + ": " + std::strerror(error_number));
  status.path_ = std::move(path);
  status.errno_ = error_number;
  return status;
}

Status Status::locked(std::string path, std::string message) {
  Status status(Code::kLocked, std::move(message));
  status.path_ = std::move(path);
  return status;
}

Status Status::failed(std::string message) { return Status(Code::kFailed, std::move(message)); }

Status Status::not_found(std::string path, std::string message) {
  Status status(Code::kNotFound, std::move(message));
  status.path_ = std::move(path);
  return status;
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  std::string text = code_name(code_);
  text += ": ";
  if (!path_.empty()) {
    text += path_;
    if (offset_) text += " at offset " + std::to_string(*offset_);
    text += ": ";
  }
  text += message_;
  if (errno_ != 0) text += " (errno " + std::to_string(errno_) + ")";
  return text;
}

Status Status::with_context(const std::string& context) const {
  if (is_ok()) return *this;
  Status copy = *this;
  copy.message_ = context + ": " + message_;
  return copy;
}

}  // namespace wal
