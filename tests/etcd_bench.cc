// etcd_bench: persists per second through EtcdPersistence against a
// 3-member etcd on 127.0.0.1 that it starts itself (tools/local_etcd),
// with 1 and 8 threads, each thread feeding its own client 100-byte
// messages in id order. Not a test: run it by hand (docs/DISTRIBUTED.md).
//
//   etcd_bench [seconds per run, default 5]
//
// $WAL_BENCH_CONCURRENT_TXNS overrides EtcdOptions::max_concurrent_txns.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

#include "etcd_test_util.h"

namespace wal::testing {
namespace {

using Clock = std::chrono::steady_clock;

void run(EtcdCluster& cluster, int threads, double seconds) {
  EtcdOptions options = etcd_options(cluster.client_urls(), unique_prefix("bench"));
  options.on_warning = nullptr;
  if (const char* in_flight = std::getenv("WAL_BENCH_CONCURRENT_TXNS")) {
    options.max_concurrent_txns = static_cast<uint32_t>(std::atoi(in_flight));
  }
  auto log = EtcdPersistence::open(std::make_shared<ConsumerStateInterpreter>(), options);
  if (!log.is_ok()) {
    std::fprintf(stderr, "open: %s\n", log.status().to_string().c_str());
    std::exit(1);
  }
  auto revision = [&] {
    auto status = cluster.member_status(0);
    return status ? std::stoll((*status)["header"]["revision"].get<std::string>()) : 0;
  };
  const int64_t first_revision = revision();
  const std::string content(100, 'x');
  std::vector<std::vector<double>> latencies(threads);
  std::atomic<bool> failed{false};
  const Clock::time_point start = Clock::now();
  const Clock::time_point end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const std::string client = "bench-" + std::to_string(t);
      for (uint64_t id = 1; Clock::now() < end; ++id) {
        const Clock::time_point before = Clock::now();
        auto outcome = (*log)->persist(client, Json{{"content", content}}, id);
        if (!outcome.is_ok() || *outcome != PersistOutcome::kWritten) {
          std::fprintf(stderr, "persist: %s\n", outcome.status().to_string().c_str());
          failed = true;
          return;
        }
        latencies[t].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - before).count());
      }
    });
  }
  for (auto& worker : workers) worker.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (const auto& one : latencies) all.insert(all.end(), one.begin(), one.end());
  std::sort(all.begin(), all.end());
  if (failed || all.empty()) std::exit(1);
  const int64_t transactions = revision() - first_revision;  // one revision each
  std::printf(
      "etcd-3node threads=%d: %.0f persists/s, p50 %.2f ms, p99 %.2f ms (%zu in %.1f s, "
      "%.1f per transaction)\n",
      threads, static_cast<double>(all.size()) / elapsed, all[all.size() / 2],
      all[all.size() * 99 / 100], all.size(), elapsed,
      transactions > 0 ? static_cast<double>(all.size()) / static_cast<double>(transactions) : 0.0);
}

}  // namespace
}  // namespace wal::testing

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 5.0;
  std::string error;
  auto cluster = wal::testing::EtcdCluster::start(3, &error);
  if (!cluster) {
    std::fprintf(stderr, "etcd_bench: %s\n", error.c_str());
    return 1;
  }
  for (int threads : {1, 8}) wal::testing::run(*cluster, threads, seconds);
  return 0;
}
