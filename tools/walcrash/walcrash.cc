// walcrash: kills a persisting process at random moments and checks that
// every acknowledged message survives exactly once.
//
//   walcrash run [--cycles N] [--seed S] [--dir D] [--layout seed|segmented]
//
// Each cycle starts a child (`walcrash child`) that reopens the directory and
// persists numbered messages round-robin to four clients, first redelivering
// each client's last recorded id, and reports every acknowledged message on a
// pipe only after persist returned. The parent SIGKILLs it at a random moment
// (sometimes during start-up), reopens the directory itself and checks, per
// client, that the state is exactly messages 1..mark in order, each once, and
// that the mark is at least the highest id the child acknowledged.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "wal/wal.h"

namespace {

constexpr int kClients = 4;

std::string client_name(int index) { return "client-" + std::to_string(index); }
std::string content_for(const std::string& client, uint64_t id) {
  return client + "#" + std::to_string(id) + ".";
}

wal::Layout g_layout = wal::Layout::kSeed;

wal::Result<std::unique_ptr<wal::WriteAheadLog>> open_log(const std::string& dir) {
  wal::WriteAheadLogOptions options;
  options.layout = g_layout;
  options.service_name = "walcrash";
  options.base_dir = dir;
  options.on_warning = [](const wal::Status&) {};  // damage shows up in the checks
  return wal::WriteAheadLog::open(std::make_shared<wal::ConsumerStateInterpreter>(),
                                  std::make_shared<wal::FileSystemStorage>(), options);
}

// The child: persists forever, acknowledging on stdout after each persist.
int run_child(const std::string& dir) {
  auto log = open_log(dir);
  if (!log.is_ok()) {
    std::fprintf(stderr, "walcrash child: %s\n", log.status().to_string().c_str());
    return 1;
  }
  std::map<std::string, uint64_t> next;
  auto clients = (*log)->clients();
  if (!clients.is_ok()) return 1;
  for (const wal::ClientSummary& client : *clients) {
    // Redeliver the last recorded id first: it must come back a duplicate.
    next[client.client_id] = client.max_message_id.value_or(0);
  }
  for (uint64_t round = 0;; ++round) {
    const std::string client = client_name(static_cast<int>(round % kClients));
    uint64_t& id = next[client];
    if (id == 0) id = 1;
    auto outcome = (*log)->persist(client, {{"content", content_for(client, id)}}, id);
    if (!outcome.is_ok()) {
      std::fprintf(stderr, "walcrash child: %s\n", outcome.status().to_string().c_str());
      return 1;
    }
    const std::string line =
        client + " " + std::to_string(id) + " " + wal::outcome_name(*outcome) + "\n";
    if (::write(STDOUT_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      return 1;
    }
    ++id;
  }
}

struct Totals {
  uint64_t acknowledged = 0;
  uint64_t lost = 0;
  uint64_t wrong_states = 0;
  uint64_t kills_during_startup = 0;
};

// Starts the child with stdout on a pipe; returns its pid and the pipe.
pid_t spawn_child(const std::string& self, const std::string& dir, int* out) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::execl(self.c_str(), self.c_str(), "child", "--dir", dir.c_str(), "--layout",
            wal::layout_name(g_layout), nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  *out = fds[0];
  return pid;
}

// Reads what the child writes within `wait` (or, with `until_a_line`, until a
// whole line has come); appends to `pending`.
void read_for(int fd, std::chrono::milliseconds wait, std::string* pending,
              bool until_a_line = false) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    pollfd poll_fd{fd, POLLIN, 0};
    if (::poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) return;
    char buffer[4096];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return;
    pending->append(buffer, static_cast<size_t>(n));
    if (until_a_line && pending->find('\n') != std::string::npos) return;
  }
}

// Checks the directory after a kill against what was acknowledged.
bool check(const std::string& dir, const std::map<std::string, uint64_t>& acknowledged, int cycle,
           Totals* totals) {
  auto log = open_log(dir);
  if (!log.is_ok()) {
    std::fprintf(stderr, "cycle %d: reopen failed: %s\n", cycle, log.status().to_string().c_str());
    return false;
  }
  bool ok = true;
  for (int index = 0; index < kClients; ++index) {
    const std::string client = client_name(index);
    auto state = (*log)->retrieve(client);
    if (!state.is_ok()) {
      std::fprintf(stderr, "cycle %d: %s\n", cycle, state.status().to_string().c_str());
      ++totals->wrong_states;
      ok = false;
      continue;
    }
    const std::string content = (*state)["content"];
    // The state must be exactly messages 1..n for some n, each once, in order.
    std::string expected;
    uint64_t mark = 0;
    while (expected.size() < content.size()) {
      if (!expected.empty()) expected += ' ';
      expected += content_for(client, ++mark);
    }
    if (expected != content) {
      std::fprintf(stderr, "cycle %d: %s state is not messages 1..n exactly once: \"%s\"\n", cycle,
                   client.c_str(), content.c_str());
      ++totals->wrong_states;
      ok = false;
    }
    auto found = acknowledged.find(client);
    if (found != acknowledged.end() && found->second > mark) {
      std::fprintf(stderr, "cycle %d: %s acknowledged up to %llu, recovered only up to %llu\n",
                   cycle, client.c_str(), static_cast<unsigned long long>(found->second),
                   static_cast<unsigned long long>(mark));
      totals->lost += found->second - mark;
      ok = false;
    }
  }
  return ok;
}

int run_parent(const std::string& self, int cycles, uint32_t seed, std::string dir) {
  std::filesystem::path temp;
  if (dir.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "walcrash-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) return 3;
    temp = pattern;
    dir = (temp / "data").string();
  }
  std::mt19937 random(seed);
  std::map<std::string, uint64_t> acknowledged;  // highest acknowledged id per client
  Totals totals;
  bool ok = true;
  for (int cycle = 1; cycle <= cycles && ok; ++cycle) {
    int out = -1;
    const pid_t child = spawn_child(self, dir, &out);
    if (child < 0) return 3;
    std::string pending;
    // One cycle in five dies at a random moment of start-up; the others after
    // the child has acknowledged something.
    if (random() % 5 == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(random() % 3000));
      ++totals.kills_during_startup;
    } else {
      read_for(out, std::chrono::milliseconds(10000), &pending, /*until_a_line=*/true);
      read_for(out, std::chrono::milliseconds(random() % 50), &pending);
    }
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    read_for(out, std::chrono::milliseconds(0), &pending);
    ::close(out);
    // Only whole lines count: a line cut by the kill was not acknowledged.
    size_t start = 0;
    for (size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) {
      const std::string line = pending.substr(start, end - start);
      const size_t space = line.find(' ');
      const uint64_t id = std::stoull(line.substr(space + 1));
      uint64_t& highest = acknowledged[line.substr(0, space)];
      highest = std::max(highest, id);
      ++totals.acknowledged;
    }
    ok = check(dir, acknowledged, cycle, &totals);
  }
  std::printf(
      "walcrash (%s layout): %d cycles, %llu acknowledged, %llu kills during start-up, %llu lost, "
      "%llu wrong states\n",
      wal::layout_name(g_layout), cycles, static_cast<unsigned long long>(totals.acknowledged),
      static_cast<unsigned long long>(totals.kills_during_startup),
      static_cast<unsigned long long>(totals.lost),
      static_cast<unsigned long long>(totals.wrong_states));
  if (!temp.empty() && ok) std::filesystem::remove_all(temp);
  if (!ok && !temp.empty()) std::fprintf(stderr, "walcrash: directory kept at %s\n", dir.c_str());
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"walcrash: SIGKILL a persisting process at random moments; check nothing is lost"};
  app.require_subcommand(1);
  std::string dir;
  int cycles = 100;
  uint32_t seed = 1;
  auto* run = app.add_subcommand("run", "run kill cycles and check each");
  run->add_option("--cycles", cycles, "kill cycles")->check(CLI::Range(1, 1000000));
  run->add_option("--seed", seed, "random seed for the kill moments");
  run->add_option("--dir", dir, "data directory (default: a fresh temporary one)");
  auto* child = app.add_subcommand("child", "persist until killed (used by run)");
  child->add_option("--dir", dir, "data directory")->required();
  const std::map<std::string, wal::Layout> layouts = {{"seed", wal::Layout::kSeed},
                                                      {"segmented", wal::Layout::kSegmented}};
  for (CLI::App* command : {run, child}) {
    command->add_option("--layout", g_layout, "on-disk layout")
        ->transform(CLI::CheckedTransformer(layouts, CLI::ignore_case));
  }
  CLI11_PARSE(app, argc, argv);
  if (*child) return run_child(dir);
  return run_parent(argv[0][0] == '/' ? argv[0] : std::filesystem::absolute(argv[0]).string(),
                    cycles, seed, dir);
}
