// walbench: our WriteAheadLog (segmented and seed layouts) against SQLite,
// RocksDB, LevelDB and a raw append+fdatasync file on the same workload, in
// one run, with interleaved repetitions and medians. See docs/BENCHMARKS.md.
//
// Each job runs in a child process of its own, so that its peak memory, its
// I/O counters and any crash belong to it alone, and every engine starts
// from the same clean process state.
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "engine.h"
#include "files.h"
#include "report.h"
#include "scenario.h"
#ifdef WALBENCH_WITH_ETCD
#include "etcd_cluster_setup.h"
#endif

namespace walbench {
namespace {

std::vector<std::string> split_list(const std::string& text, const std::vector<std::string>& known,
                                    const std::vector<std::string>& defaults, const char* what) {
  if (text.empty() || text == "all") return defaults;
  std::vector<std::string> items;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) {
    if (std::find(known.begin(), known.end(), item) == known.end()) {
      throw std::invalid_argument(std::string("unknown ") + what + " '" + item + "'");
    }
    items.push_back(item);
  }
  return items;
}

// Runs the job in a child process and reads its measurement from a pipe.
Measurement run_in_child(const Job& job, const std::string& dir) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  std::fflush(nullptr);
  const pid_t child = fork();
  if (child < 0) throw std::runtime_error("fork failed");
  if (child == 0) {
    close(pipe_fds[0]);
    const std::string line = to_json(run_job(job, dir)).dump() + "\n";
    size_t sent = 0;
    while (sent < line.size()) {
      const ssize_t n = write(pipe_fds[1], line.data() + sent, line.size() - sent);
      if (n <= 0) _exit(3);
      sent += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) {
    text.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  if (text.empty() || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    Measurement failed;
    failed.engine = job.engine;
    failed.scenario = job.scenario;
    failed.label = job.label;
    failed.error = "the job's process died (status " + std::to_string(status) + ")";
    return failed;
  }
  return measurement_from_json(nlohmann::json::parse(text));
}

std::string machine_summary(const std::string& dir) {
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  struct utsname system;
  uname(&system);
  char when[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::ostringstream out;
  out << when << ", " << sysconf(_SC_NPROCESSORS_ONLN) << " CPUs, kernel " << system.release
      << ", load average " << load[0] << " " << load[1] << " " << load[2] << ", data in " << dir
      << " (" << file_system_type(dir) << ")";
  // Allocator settings change the figures a lot where page faults are costly
  // (docs/BENCHMARKS.md), so a run says which it had; every engine shares them.
  if (const char* tunables = std::getenv("GLIBC_TUNABLES"); tunables != nullptr && *tunables) {
    out << ", GLIBC_TUNABLES=" << tunables;
  }
  return out.str();
}

int run(int argc, char** argv) {
  CLI::App app{"walbench: our WriteAheadLog against SQLite, RocksDB, LevelDB and a raw file"};
  bool quick = false, tiny = false, json = false, allow_tmpfs = false;
  std::string engines_text, scenarios_text, dir, dedup = "high-water-mark";
  size_t repetitions = 0;
  std::vector<size_t> scale_messages;
  app.add_flag("--quick", quick, "smaller sizes: the whole run within about a minute");
  app.add_flag("--tiny", tiny, "tiny sizes, for the smoke test (figures mean nothing)");
  app.add_option(
      "--engines", engines_text,
      "comma-separated: wal-segmented,wal-segmented-exact,wal-seed,sqlite,rocksdb,leveldb,raw "
      "(default all of these), wal-seed-exact, etcd-3node,etcd-3node-exact,etcd-3node-bare,"
      "etcd-3node-txn (a 3-member etcd on 127.0.0.1 that walbench starts; only sync-1t and "
      "sync-8t)");
  app.add_option("--dedup", dedup,
                 "high-water-mark (default): our engines as named; exact: each of our engines "
                 "named also runs under the exact dedup policy beside it (its -exact variant)")
      ->check(CLI::IsMember({"high-water-mark", "exact"}));
  app.add_option("--scenarios", scenarios_text,
                 "comma-separated: sync-1t,sync-8t,batch-64,batch-1024,recovery-200k,scale,"
                 "clients-10k (default all)");
  app.add_option("--scale-messages", scale_messages,
                 "scale: the sizes to run, in messages from 1 to 20000000 (the workload is "
                 "held in memory), instead of the run size's (full: 10000,100000,1000000), "
                 "e.g. --scale-messages 1000000,1200000")
      ->delimiter(',')
      ->check(CLI::Range(size_t{1}, size_t{20'000'000}));
  app.add_option("--reps", repetitions, "repetitions (default 3, 1 with --quick or --tiny)");
  app.add_option("--dir", dir, "data directory (default walbench-data next to the executable)");
  app.add_flag("--json", json, "one JSON object per line instead of tables");
  app.add_flag("--allow-tmpfs", allow_tmpfs, "measure on tmpfs anyway (syncs cost nothing there)");
  CLI11_PARSE(app, argc, argv);

  auto engines = split_list(engines_text, engine_names(), default_engine_names(), "engine");
  if (dedup == "exact") {
    for (const std::string ours : {"wal-segmented", "wal-seed", "etcd-3node"}) {
      const std::string exact = ours + "-exact";
      const auto at = std::find(engines.begin(), engines.end(), ours);
      if (at != engines.end() &&
          std::find(engines.begin(), engines.end(), exact) == engines.end()) {
        engines.insert(at + 1, exact);
      }
    }
  }
  const auto scenarios = split_list(scenarios_text, scenario_names(), scenario_names(), "scenario");
  const Size size = tiny ? Size::kTiny : quick ? Size::kQuick : Size::kFull;
  if (repetitions == 0) repetitions = size == Size::kFull ? 3 : 1;
  if (dir.empty()) {
    dir = (std::filesystem::canonical("/proc/self/exe").parent_path() / "walbench-data").string();
  }
  make_dirs(dir);
  const std::string type = file_system_type(dir);
  if (type == "tmpfs" && !allow_tmpfs) {
    std::cerr << "walbench: " << dir << " is on tmpfs, where a sync costs nothing; pass --dir on "
              << "a disk file system (or --allow-tmpfs)\n";
    return 2;
  }

  const bool wants_etcd = std::any_of(engines.begin(), engines.end(), is_etcd_engine);
  if (wants_etcd && !etcd_engines_built()) {
    std::cerr << "walbench: the etcd engines are absent: this walbench was built without etcd "
                 "support (WAL_BUILD_ETCD=OFF)\n";
    return 2;
  }
#ifdef WALBENCH_WITH_ETCD
  // Stopped and removed when run() returns or throws; its members die with
  // walbench if it is killed.
  std::unique_ptr<wal::local_etcd::EtcdCluster> etcd_cluster;
  if (wants_etcd) {
    if (const std::string why = wal::local_etcd::etcd_skip_reason(); !why.empty()) {
      std::cerr << "walbench: " << why << "\n";
      return 77;  // ctest's SKIP_RETURN_CODE for walbench_etcd_smoke
    }
    etcd_cluster = start_etcd_cluster(dir);
  }
#endif

  const std::vector<Job> jobs = plan_jobs(engines, scenarios, size, scale_messages);
  const std::string summary = machine_summary(dir);
  std::cerr << "walbench: " << jobs.size() << " jobs x " << repetitions << " repetitions; "
            << summary << "\n";
  std::vector<RepeatedMeasurement> results;
  bool all_passed = true;
  for (size_t repetition = 0; repetition < repetitions; ++repetition) {
    // Each repetition starts at a different job, so no engine always runs
    // first, last or right after the same neighbour.
    const size_t shift = repetition * jobs.size() / repetitions;
    for (size_t k = 0; k < jobs.size(); ++k) {
      const Job& job = jobs[(shift + k) % jobs.size()];
      Measurement m = run_in_child(job, dir + "/" + job.engine + "-" + job.label);
      std::cerr << "[" << repetition + 1 << "/" << repetitions << "] " << job.label << " "
                << job.engine << ": ";
      if (!m.check_passed) {
        all_passed = false;
        std::cerr << "CHECK FAILED: " << m.error << "\n";
      } else if (m.recovery_ms >= 0) {
        std::cerr << m.recovery_ms << " ms recovery\n";
      } else {
        std::cerr << static_cast<uint64_t>(m.persists_per_s) << " persists/s, p99 " << m.p99_us
                  << " us\n";
      }
      results.push_back({repetition, std::move(m)});
    }
  }

  if (json) {
    print_json_lines(std::cout, results);
  } else {
    std::cout << "walbench, " << summary << ", " << repetitions << " repetitions\n\n";
    print_table(std::cout, results);
    std::cout << "\n";
    print_ratios(std::cout, results);
  }
  std::cerr << "walbench: load average at the end: " << machine_summary(dir) << "\n";
  if (!all_passed) {
    std::cerr << "walbench: some result checks FAILED\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace walbench

int main(int argc, char** argv) {
  try {
    return walbench::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "walbench: " << e.what() << "\n";
    return 2;
  }
}
