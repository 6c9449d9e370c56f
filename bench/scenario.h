// The scenarios, their sizes, and one measurement of one engine on one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workload.h"

namespace walbench {

enum class Size { kFull, kQuick, kTiny };  // kTiny: the ctest smoke test

struct Job {
  std::string engine;
  std::string scenario;  // "sync-1t", ..., "scale"
  std::string label;     // the scenario, plus "@<messages>" for scale
  enum class Kind {
    kPersist,   // persist per call, durable on return, on `threads` threads
    kBatch,     // persist_batch of `batch` calls, durable per batch
    kRecovery,  // a crashed child's unsynced image: time reopen + retrieve
  } kind = Kind::kPersist;
  size_t threads = 1;
  size_t batch = 1;
  WorkloadShape shape;
};

const std::vector<std::string>& scenario_names();

// The jobs of `scenarios` for each of `engines`, at the given size.
// `scale_messages`, when not empty, replaces the size's scale points.
std::vector<Job> plan_jobs(const std::vector<std::string>& engines,
                           const std::vector<std::string>& scenarios, Size size,
                           const std::vector<size_t>& scale_messages = {});

struct Measurement {
  std::string engine, scenario, label;
  uint64_t calls = 0;             // persist calls, duplicates included
  uint64_t durability_calls = 0;  // persist or persist_batch calls
  double seconds = 0;
  double persists_per_s = 0;                                // calls per second
  double p50_us = 0, p99_us = 0;                            // per call, or per batch for batch jobs
  double recovery_ms = -1, open_ms = -1, retrieve_ms = -1;  // recovery only
  uint64_t syncs = 0;                                       // fdatasync + fsync from open to close
  uint64_t write_bytes = 0;                                 // to storage from open to close
  uint64_t payload_bytes = 0;                               // of the accepted messages
  uint64_t disk_bytes = 0;                                  // du of the data directory, closed
  uint64_t peak_rss_bytes = 0;                              // above what the workload itself holds
  bool check_passed = false;
  std::string error;  // why the check failed
};

// Runs the job in `dir` (emptied first) and checks its result after a reopen:
// every client's merged content equals the expected one and a redelivered id
// is still rejected. Never throws: a failure is reported in `error`.
Measurement run_job(const Job& job, const std::string& dir);

}  // namespace walbench
