#include "exit_code.h"

namespace walctl {

ExitCode exit_code_for(const wal::Status& status) {
  switch (status.code()) {
    case wal::Code::kOk:
      return kExitOk;
    case wal::Code::kCorruption:
      return kExitDamage;
    case wal::Code::kInvalidArgument:
      return kExitUsage;
    case wal::Code::kIOError:
    case wal::Code::kNoSpace:
    case wal::Code::kNotFound:
      return kExitIo;
    case wal::Code::kLocked:
      return kExitLocked;
    case wal::Code::kFailed:
      return kExitFailed;
  }
  return kExitFailed;
}

ExitCode worse(ExitCode a, ExitCode b) {
  // Severity, not numeric order: a failed instance outranks everything.
  auto rank = [](ExitCode code) {
    switch (code) {
      case kExitOk:
        return 0;
      case kExitUsage:
        return 1;
      case kExitDamage:
        return 2;
      case kExitIo:
        return 3;
      case kExitLocked:
        return 4;
      case kExitFailed:
        return 5;
    }
    return 5;
  };
  return rank(a) >= rank(b) ? a : b;
}

}  // namespace walctl
