// The dedup policy a base directory was written with, in <base>/.wal.dedup
// (docs/format.md). A directory without the file was written under
// kHighWaterMark, as every directory of the original service was.
#pragma once

#include <string>

#include "wal/dedup_policy.h"
#include "wal/status.h"
#include "wal/storage.h"

namespace wal {

// Fails with kInvalidArgument when the directory was written with another
// policy than `policy`. A directory that holds no data yet (`new_directory`)
// takes `policy`: kExact is then recorded durably before anything is written.
// The policy the directory was written with: kHighWaterMark when it records
// none (or does not exist yet).
Result<DedupPolicy> read_dedup_policy(Storage& storage, const std::string& base_dir);

[[nodiscard]] Status check_dedup_policy(Storage& storage, const std::string& base_dir,
                                        DedupPolicy policy, bool new_directory);

}  // namespace wal
