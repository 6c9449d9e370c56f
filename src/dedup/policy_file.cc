#include "dedup/policy_file.h"

#include "seed/file_names.h"
#include "util/paths.h"

namespace wal {
namespace {

std::string contents_for(DedupPolicy policy) {
  return std::string(dedup_policy_name(policy)) + "\n";
}

Result<DedupPolicy> parse_contents(const std::string& contents, const std::string& path) {
  for (DedupPolicy policy : {DedupPolicy::kHighWaterMark, DedupPolicy::kExact}) {
    if (contents == contents_for(policy)) return policy;
  }
  return Status::corruption(path, 0, "names no dedup policy this build knows");
}

}  // namespace

Result<DedupPolicy> read_dedup_policy(Storage& storage, const std::string& base_dir) {
  const std::string path = join_path(base_dir, seed::kDedupFileName);
  auto contents = storage.read_file(path);
  if (contents.is_ok()) return parse_contents(*contents, path);
  if (contents.status().code() == Code::kNotFound) return DedupPolicy::kHighWaterMark;
  return contents.status();
}

Status check_dedup_policy(Storage& storage, const std::string& base_dir, DedupPolicy policy,
                          bool new_directory) {
  const std::string path = join_path(base_dir, seed::kDedupFileName);
  WAL_ASSIGN_OR_RETURN(const DedupPolicy recorded, read_dedup_policy(storage, base_dir));
  const bool recorded_in_file = recorded != DedupPolicy::kHighWaterMark;
  if (!recorded_in_file && new_directory && policy == DedupPolicy::kExact) {
    // Durable before the first message: a directory holding data under the
    // exact policy always says so.
    const std::string temp = join_path(base_dir, seed::kDedupTempFileName);
    WAL_RETURN_IF_ERROR(write_whole_file(storage, path, temp, contents_for(policy)));
    return storage.sync_dir(base_dir);
  }
  if (recorded == policy) return Status::ok();
  return Status::invalid_argument(
      base_dir + " was written with the " + dedup_policy_name(recorded) +
      " dedup policy but the options ask for " + dedup_policy_name(policy) +
      "; open it with dedup policy " + dedup_policy_name(recorded) + " (walctl --dedup " +
      dedup_policy_name(recorded) + ")");
}

}  // namespace wal
