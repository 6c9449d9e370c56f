// walbench's etcd engines share one 3-member cluster on 127.0.0.1, which
// walbench starts before the jobs and stops after them; the job processes
// (forked) inherit its endpoints. Each job keeps its keys under a prefix of
// its own, so that jobs and repetitions never see each other's data.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "etcd_cluster.h"  // tools/local_etcd

namespace walbench {

// Starts the cluster with its data directory in `parent_dir` (the disk
// walbench measures) and waits until every member is healthy. Default etcd
// flags: fsync on, as deployed. Throws EngineError when it cannot.
std::unique_ptr<wal::local_etcd::EtcdCluster> start_etcd_cluster(const std::string& parent_dir);

// The client URLs of the cluster started above; throws EngineError if none.
const std::vector<std::string>& etcd_endpoints();

// The key prefix of the job whose data directory is `dir`: a new one once
// the directory was emptied, the same one when the job reopens its store.
std::string etcd_prefix(const std::string& dir);

// etcd's current revision, which each write transaction or put raises by
// one; -1 when no member answers.
int64_t etcd_revision();

}  // namespace walbench
