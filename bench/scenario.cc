#include "scenario.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "client_scheduler.h"
#include "engine.h"
#include "files.h"
#include "process_stats.h"
#include "stats.h"

namespace walbench {
namespace {

using Clock = std::chrono::steady_clock;

double microseconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::micro>(to - from).count();
}

// Calls per scenario at each size. The full sizes follow the issue (200,000
// for recovery, scale to 1M messages, 10,000 clients); runs synced per call
// use 5,000 calls (the reference harness used 20,000), because on this shared
// machine a sync can take milliseconds when others use the disk.
struct Sizes {
  size_t persist_calls, batch_64_calls, batch_1024_calls, recovery_calls;
  std::vector<size_t> scale_calls;
  size_t many_clients_calls;
  uint32_t many_clients;
  size_t seed_calls_per_client;  // see capped_calls
};

Sizes sizes_for(Size size) {
  switch (size) {
    case Size::kFull:
      return {5000, 100000, 1000000, 200000, {10000, 100000, 1000000}, 10000, 10000, 200};
    case Size::kQuick:
      return {2000, 20000, 100000, 20000, {10000, 100000}, 4000, 10000, 100};
    case Size::kTiny:
      break;
  }
  // Few syncs in all (about 2,000), so that the smoke test stays quick even
  // when other work makes each sync take milliseconds.
  return {30, 128, 1024, 300, {128, 256}, 50, 10000, 10};
}

std::string count_label(size_t calls) {
  if (calls >= 1000000 && calls % 1000000 == 0) return std::to_string(calls / 1000000) + "m";
  if (calls >= 1000 && calls % 1000 == 0) return std::to_string(calls / 1000) + "k";
  return std::to_string(calls);
}

// The seed layout keeps a file per message (but for the one that completes a
// checkpoint), syncs each one and its folder (batches too), and rewrites a
// client's whole state at every checkpoint (every 3 messages), so its cost
// per message grows with the history: its runs are capped at this many
// calls per client (2,000 over 10 clients in a full run, as the original was
// measured), or they would take minutes.
size_t capped_calls(const std::string& engine, size_t calls, uint32_t clients, const Sizes& sizes) {
  if (engine != "wal-seed" && engine != "wal-seed-exact") return calls;
  return std::min(calls, sizes.seed_calls_per_client * clients);
}

// One 100-byte payload per call, in one block (a string each would make the
// workload, not the engine, the bulk of a 1M-message run's memory).
struct PreparedCalls {
  std::string payloads;
  std::vector<Call> calls;
};

constexpr size_t kPayloadBytes = 100;
constexpr size_t kContentOffset = 12;  // {"content":"

PreparedCalls prepare_calls(const Workload& workload) {
  PreparedCalls prepared;
  prepared.payloads.reserve(workload.messages.size() * kPayloadBytes);
  for (const Message& message : workload.messages) {
    const std::string payload = message_payload(message.client, message.id);
    if (payload.size() != kPayloadBytes) throw EngineError("payload is not 100 bytes");
    prepared.payloads += payload;
  }
  prepared.calls.reserve(workload.messages.size());
  for (size_t i = 0; i < workload.messages.size(); ++i) {
    const Message& message = workload.messages[i];
    const std::string_view payload(prepared.payloads.data() + i * kPayloadBytes, kPayloadBytes);
    prepared.calls.push_back({&workload.client_names[message.client], payload,
                              payload.substr(kContentOffset, kPayloadBytes - kContentOffset - 2),
                              message.id});
  }
  return prepared;
}

void expect_outcome(bool written, const Message& message, size_t index) {
  if (written == message.redelivered) {
    throw EngineError("call " + std::to_string(index) + " was " +
                      (written ? "written but is a duplicate" : "skipped but is new"));
  }
}

// Latencies of every call (or batch) and how many durable calls were made.
struct TimedRun {
  std::vector<double> latencies_us;
  uint64_t durability_calls = 0;
};

TimedRun run_persists(Engine& engine, const Workload& workload, const PreparedCalls& prepared,
                      size_t threads) {
  TimedRun run;
  if (threads == 1) {
    run.latencies_us.reserve(prepared.calls.size());
    for (size_t i = 0; i < prepared.calls.size(); ++i) {
      const auto start = Clock::now();
      const bool written = engine.persist(prepared.calls[i]);
      run.latencies_us.push_back(microseconds(start, Clock::now()));
      expect_outcome(written, workload.messages[i], i);
    }
    run.durability_calls = prepared.calls.size();
    return run;
  }
  ClientScheduler scheduler(workload);
  std::vector<std::vector<double>> latencies(threads);
  std::vector<std::string> errors(threads);
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t i; (i = scheduler.take()) != ClientScheduler::kNoMoreCalls;) {
        try {
          const auto start = Clock::now();
          const bool written = engine.persist(prepared.calls[i]);
          latencies[t].push_back(microseconds(start, Clock::now()));
          expect_outcome(written, workload.messages[i], i);
        } catch (const std::exception& e) {
          if (errors[t].empty()) errors[t] = e.what();
        }
        scheduler.done(workload.messages[i].client);
      }
    });
  }
  for (auto& thread : pool) thread.join();
  for (const auto& error : errors) {
    if (!error.empty()) throw EngineError(error);
  }
  for (const auto& thread_latencies : latencies) {
    run.latencies_us.insert(run.latencies_us.end(), thread_latencies.begin(),
                            thread_latencies.end());
  }
  run.durability_calls = prepared.calls.size();
  return run;
}

TimedRun run_batches(Engine& engine, const Workload& workload, const PreparedCalls& prepared,
                     size_t batch) {
  TimedRun run;
  size_t written = 0;
  const std::span<const Call> calls(prepared.calls);
  for (size_t start = 0; start < calls.size(); start += batch) {
    const auto part = calls.subspan(start, std::min(batch, calls.size() - start));
    const auto begin = Clock::now();
    written += engine.persist_batch(part);
    run.latencies_us.push_back(microseconds(begin, Clock::now()));
    ++run.durability_calls;
  }
  if (written != workload.accepted()) {
    throw EngineError("batches wrote " + std::to_string(written) + " messages, expected " +
                      std::to_string(workload.accepted()));
  }
  return run;
}

// Every client's merged content is the expected one, and the last id of each
// client is still a duplicate.
// Where two merged contents first differ, for the failure message.
std::string describe_difference(const std::string& actual, const std::string& expected) {
  size_t at = 0;
  while (at < actual.size() && at < expected.size() && actual[at] == expected[at]) ++at;
  return "differs at byte " + std::to_string(at) + " of " + std::to_string(actual.size()) +
         " (expected " + std::to_string(expected.size()) + " bytes): got \"" +
         actual.substr(at, 40) + "\", expected \"" + expected.substr(at, 40) + "\"";
}

void expect_content(const std::string& actual, const Workload& workload, uint32_t client) {
  const std::string expected = expected_content(workload, client);
  if (actual != expected) {
    throw EngineError("merged content of " + workload.client_names[client] + " " +
                      describe_difference(actual, expected));
  }
}

void check_contents(Engine& engine, const Workload& workload) {
  for (uint32_t c = 0; c < workload.client_names.size(); ++c) {
    expect_content(engine.merged_content(workload.client_names[c]), workload, c);
  }
}

void check_duplicates_rejected(Engine& engine, const Workload& workload) {
  for (uint32_t c = 0; c < workload.client_names.size(); ++c) {
    const uint64_t id = workload.highest_id[c];
    if (id == 0) continue;
    const std::string payload = message_payload(c, id);
    const Call call{
        &workload.client_names[c], payload,
        std::string_view(payload).substr(kContentOffset, kPayloadBytes - kContentOffset - 2), id};
    if (engine.persist(call)) {
      throw EngineError("redelivered id accepted after reopen for " + workload.client_names[c]);
    }
  }
}

void check_after_reopen(const std::string& engine_name, const std::string& dir,
                        const Workload& workload) {
  auto engine = make_engine(engine_name);
  engine->open(dir, Durability::kEachCall);
  check_contents(*engine, workload);
  check_duplicates_rejected(*engine, workload);
  engine->close();
}

// A child process loads the image unsynced and dies without closing, as a
// crashed process would.
void load_crash_image(const std::string& engine_name, const std::string& dir,
                      const PreparedCalls& prepared) {
  std::fflush(nullptr);
  const pid_t child = fork();
  if (child < 0) throw EngineError("fork failed");
  if (child == 0) {
    try {
      auto engine = make_engine(engine_name);
      engine->open(dir, Durability::kNone);
      for (const Call& call : prepared.calls) engine->persist(call);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "walbench: loading the crash image failed: %s\n", e.what());
      _exit(2);
    }
    _exit(0);
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw EngineError("the child loading the crash image failed");
  }
}

void measure_recovery(const Job& job, const std::string& dir, const Workload& workload,
                      const PreparedCalls& prepared, Measurement& m) {
  load_crash_image(job.engine, dir, prepared);
  m.disk_bytes = disk_usage(dir).allocated_bytes;
  const uint64_t baseline = resident_bytes();
  reset_peak_resident();
  const auto start = Clock::now();
  auto engine = make_engine(job.engine);
  engine->open(dir, Durability::kEachCall);
  const auto opened = Clock::now();
  std::vector<std::string> contents;
  for (const auto& client : workload.client_names) {
    contents.push_back(engine->merged_content(client));
  }
  const auto retrieved = Clock::now();
  m.peak_rss_bytes = peak_resident_bytes() - std::min(baseline, peak_resident_bytes());
  m.open_ms = microseconds(start, opened) / 1000;
  m.retrieve_ms = microseconds(opened, retrieved) / 1000;
  m.recovery_ms = m.open_ms + m.retrieve_ms;
  for (uint32_t c = 0; c < workload.client_names.size(); ++c) {
    expect_content(contents[c], workload, c);
  }
  check_duplicates_rejected(*engine, workload);
  engine->close();
}

Job make_job(const std::string& engine, const std::string& scenario, Job::Kind kind, size_t threads,
             size_t batch, size_t calls, uint32_t clients, const Sizes& sizes) {
  Job job;
  job.engine = engine;
  job.scenario = scenario;
  job.label = scenario;
  job.kind = kind;
  job.threads = threads;
  job.batch = batch;
  job.shape.calls = capped_calls(engine, calls, clients, sizes);
  job.shape.clients = clients;
  return job;
}

}  // namespace

const std::vector<std::string>& scenario_names() {
  static const std::vector<std::string> names = {
      "sync-1t", "sync-8t", "batch-64", "batch-1024", "recovery-200k", "scale", "clients-10k"};
  return names;
}

std::vector<Job> plan_jobs(const std::vector<std::string>& engines,
                           const std::vector<std::string>& scenarios, Size size,
                           const std::vector<size_t>& scale_messages) {
  Sizes sizes = sizes_for(size);
  if (!scale_messages.empty()) {
    sizes.scale_calls = scale_messages;
    std::sort(sizes.scale_calls.begin(), sizes.scale_calls.end());
    sizes.scale_calls.erase(std::unique(sizes.scale_calls.begin(), sizes.scale_calls.end()),
                            sizes.scale_calls.end());
  }
  using Kind = Job::Kind;
  std::vector<Job> jobs;
  for (const auto& scenario : scenarios) {
    for (const auto& engine : engines) {
      // etcd runs the persist scenarios of issue 6 only: it has no unsynced
      // mode for a crash image, and batches of a million would take long.
      if (is_etcd_engine(engine) && scenario != "sync-1t" && scenario != "sync-8t") continue;
      if (scenario == "sync-1t") {
        jobs.push_back(
            make_job(engine, scenario, Kind::kPersist, 1, 1, sizes.persist_calls, 10, sizes));
      } else if (scenario == "sync-8t") {
        jobs.push_back(
            make_job(engine, scenario, Kind::kPersist, 8, 1, sizes.persist_calls, 10, sizes));
      } else if (scenario == "batch-64") {
        jobs.push_back(
            make_job(engine, scenario, Kind::kBatch, 1, 64, sizes.batch_64_calls, 10, sizes));
      } else if (scenario == "batch-1024") {
        jobs.push_back(
            make_job(engine, scenario, Kind::kBatch, 1, 1024, sizes.batch_1024_calls, 10, sizes));
      } else if (scenario == "recovery-200k") {
        jobs.push_back(
            make_job(engine, scenario, Kind::kRecovery, 1, 1, sizes.recovery_calls, 10, sizes));
      } else if (scenario == "scale") {
        // Durable per batch of 64: a million calls synced one by one would
        // take minutes per engine and repetition.
        for (size_t calls : sizes.scale_calls) {
          Job job = make_job(engine, scenario, Kind::kBatch, 1, 64, calls, 10, sizes);
          // The seed layout runs only the sizes its cap allows.
          if (job.shape.calls < calls && calls != sizes.scale_calls.front()) continue;
          job.label = scenario + "@" + count_label(calls);
          jobs.push_back(job);
        }
      } else if (scenario == "clients-10k") {
        jobs.push_back(make_job(engine, scenario, Kind::kPersist, 1, 1, sizes.many_clients_calls,
                                sizes.many_clients, sizes));
      } else {
        throw EngineError("unknown scenario " + scenario);
      }
    }
  }
  return jobs;
}

Measurement run_job(const Job& job, const std::string& dir) {
  Measurement m;
  m.engine = job.engine;
  m.scenario = job.scenario;
  m.label = job.label;
  try {
    remove_tree(dir);
    const Workload workload = make_workload(job.shape);
    const PreparedCalls prepared = prepare_calls(workload);
    m.calls = workload.messages.size();
    m.payload_bytes = workload.accepted() * kPayloadBytes;
    if (job.kind == Job::Kind::kRecovery) {
      measure_recovery(job, dir, workload, prepared, m);
    } else {
      const uint64_t baseline = resident_bytes();
      reset_peak_resident();
      const uint64_t syncs_before = sync_calls();
      const uint64_t written_before = bytes_written();
      auto engine = make_engine(job.engine);
      engine->open(dir, Durability::kEachCall);
      const auto start = Clock::now();
      const TimedRun run = job.kind == Job::Kind::kBatch
                               ? run_batches(*engine, workload, prepared, job.batch)
                               : run_persists(*engine, workload, prepared, job.threads);
      m.seconds = microseconds(start, Clock::now()) / 1e6;
      engine->close();  // checkpoints and flushes at close count as the run's work
      engine.reset();
      m.syncs = sync_calls() - syncs_before;
      m.write_bytes = bytes_written() - written_before;
      m.peak_rss_bytes = peak_resident_bytes() - std::min(baseline, peak_resident_bytes());
      m.durability_calls = run.durability_calls;
      m.persists_per_s = static_cast<double>(m.calls) / m.seconds;
      m.p50_us = percentile(run.latencies_us, 0.50);
      m.p99_us = percentile(run.latencies_us, 0.99);
      m.disk_bytes = disk_usage(dir).allocated_bytes;
      check_after_reopen(job.engine, dir, workload);
    }
    m.check_passed = true;
  } catch (const std::exception& e) {
    m.error = e.what();
  }
  remove_tree(dir);
  return m;
}

}  // namespace walbench
