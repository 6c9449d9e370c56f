// walctl's exit codes, documented in README.md.
#pragma once

#include "wal/status.h"

namespace walctl {

enum ExitCode : int {
  kExitOk = 0,
  kExitDamage = 1,  // corruption found, or `verify` found damage
  kExitUsage = 2,   // bad command line or invalid argument
  kExitIo = 3,      // I/O error or full disk
  kExitLocked = 4,  // another process holds the directory
  kExitFailed = 5,  // the instance failed after a sync error
};

ExitCode exit_code_for(const wal::Status& status);

// The worse of two exit codes, for commands that go on after an error.
ExitCode worse(ExitCode a, ExitCode b);

}  // namespace walctl
