// EtcdCluster: real etcd members on 127.0.0.1 for tests, with free ports and
// temporary data directories, started and killed at will.
//
// The etcd binary is $WAL_ETCD_BINARY or `etcd` on the PATH (Debian's
// etcd-server); tests call skip_reason() and GTEST_SKIP when there is none.
// Members die with the test process (PR_SET_PDEATHSIG), so a crashed test
// leaves no etcd behind.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace wal::testing {

// The etcd binary to run, if there is one.
inline std::optional<std::string> find_etcd_binary() {
  if (const char* configured = std::getenv("WAL_ETCD_BINARY"); configured && *configured) {
    if (::access(configured, X_OK) == 0) return std::string(configured);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "/usr/bin:/bin";
  while (!rest.empty()) {
    const size_t colon = rest.find(':');
    const std::string dir(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    const std::string candidate = (dir.empty() ? "." : dir) + "/etcd";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

// Why etcd tests cannot run here, or empty when they can.
inline std::string etcd_skip_reason() {
  if (find_etcd_binary()) return "";
  return "etcd not found (install Debian's etcd-server, as scripts/setup.sh does, or set "
         "WAL_ETCD_BINARY): skipping the tests that need a running etcd";
}

// A TCP port on 127.0.0.1 that nothing listens on right now.
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::abort();
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

struct HttpReply {
  int status = 0;  // 0: no answer
  std::string body;
};

// One HTTP/1.0 request to 127.0.0.1:port, with a timeout; enough for etcd's
// /health and its JSON gateway.
inline HttpReply http_request(int port, const std::string& method, const std::string& path,
                              const std::string& body = "",
                              std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) {
  HttpReply reply;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return reply;
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return reply;
  }
  const std::string request =
      method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" +
      "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return reply;
  }
  std::string response;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    response.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t space = response.find(' ');
  const size_t body_at = response.find("\r\n\r\n");
  if (space == std::string::npos || body_at == std::string::npos) return reply;
  reply.status = std::atoi(response.c_str() + space + 1);
  reply.body = response.substr(body_at + 4);
  return reply;
}

class EtcdCluster {
 public:
  // Starts `members` members and waits until each reports healthy. On
  // failure returns nullptr and says why in `error`.
  // `scheme` "https" serves clients with TLS (pass the certificate flags in
  // `extra_flags`); health is then still checked over the plain metrics URL.
  static std::unique_ptr<EtcdCluster> start(int members, std::string* error,
                                            std::vector<std::string> extra_flags = {},
                                            const std::string& scheme = "http") {
    // A port found free may be taken by a parallel test before etcd binds it.
    for (int attempt = 0;; ++attempt) {
      bool port_taken = false;
      auto cluster = start_once(members, error, extra_flags, scheme, &port_taken);
      if (cluster || !port_taken || attempt == 4) return cluster;
    }
  }

  ~EtcdCluster() {
    for (size_t i = 0; i < members_.size(); ++i) kill(static_cast<int>(i));
  }

  int size() const { return static_cast<int>(members_.size()); }
  std::string client_url(int i) const {
    return scheme_ + "://127.0.0.1:" + std::to_string(members_[i].client_port);
  }
  std::vector<std::string> client_urls() const {
    std::vector<std::string> urls;
    for (int i = 0; i < size(); ++i) urls.push_back(client_url(i));
    return urls;
  }
  int client_port(int i) const { return members_[i].client_port; }
  bool running(int i) const { return members_[i].pid > 0; }

  // SIGKILL, as a crash or a power cut of that member would look to the others.
  void kill(int i) {
    Member& member = members_[i];
    if (member.pid <= 0) return;
    ::kill(member.pid, SIGKILL);
    ::waitpid(member.pid, nullptr, 0);
    member.pid = -1;
  }

  // Starts a killed member again on its data directory and waits until
  // healthy (which needs a quorum: start the others first when all are down).
  bool restart(int i, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    start_again(i);
    return wait_healthy(i, timeout);
  }
  // The same without waiting.
  void start_again(int i) {
    if (members_[i].pid <= 0) spawn(i);
  }

  bool healthy(int i) const {
    const HttpReply reply = http_request(members_[i].metrics_port, "GET", "/health");
    return reply.status == 200 && reply.body.find("\"health\":\"true\"") != std::string::npos;
  }

  // False at once if the member exits (a port taken, a bad flag).
  bool wait_healthy(int i, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (healthy(i)) return true;
      Member& member = members_[i];
      if (member.pid > 0 && ::waitpid(member.pid, nullptr, WNOHANG) == member.pid) {
        member.pid = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // The member's view through etcd's JSON gateway: {"header": {"member_id", ...}, "leader", ...}.
  std::optional<Json> member_status(int i) const {
    const HttpReply reply =
        http_request(members_[i].client_port, "POST", "/v3/maintenance/status", "{}");
    if (reply.status != 200) return std::nullopt;
    auto parsed = parse_json(reply.body, "status");
    if (!parsed.is_ok()) return std::nullopt;
    return *parsed;
  }

  // The index of the current leader among running members, or -1.
  int leader() const {
    for (int i = 0; i < size(); ++i) {
      if (!running(i)) continue;
      auto status = member_status(i);
      if (!status) continue;
      const Json& header = (*status)["header"];
      if (header.contains("member_id") && status->contains("leader") &&
          header["member_id"] == (*status)["leader"]) {
        return i;
      }
    }
    return -1;
  }

  // Waits for a leader among the running members; -1 on timeout.
  int wait_for_leader(std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (int found = leader(); found >= 0) return found;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }

  // POSTs to the JSON gateway of member i (e.g. "/v3/auth/enable").
  HttpReply post(int i, const std::string& path, const std::string& body) const {
    return http_request(members_[i].client_port, "POST", path, body);
  }

  std::string log_tail(int i) const {
    const std::string log = read_bytes(log_path(i));
    return log.size() > 4000 ? log.substr(log.size() - 4000) : log;
  }

 private:
  struct Member {
    std::string name;
    int client_port = 0;
    int peer_port = 0;
    int metrics_port = 0;  // plain HTTP /health, whatever the client scheme
    fs::path data_dir;
    pid_t pid = -1;
  };

  EtcdCluster() = default;

  static std::unique_ptr<EtcdCluster> start_once(int members, std::string* error,
                                                 const std::vector<std::string>& extra_flags,
                                                 const std::string& scheme, bool* port_taken) {
    auto binary = find_etcd_binary();
    if (!binary) {
      *error = etcd_skip_reason();
      return nullptr;
    }
    std::unique_ptr<EtcdCluster> cluster(new EtcdCluster());
    cluster->binary_ = *binary;
    cluster->extra_flags_ = extra_flags;
    cluster->scheme_ = scheme;
    std::string initial_cluster;
    for (int i = 0; i < members; ++i) {
      Member member;
      member.name = "m" + std::to_string(i);
      member.client_port = free_port();
      member.peer_port = free_port();
      member.metrics_port = free_port();
      member.data_dir = cluster->dir_.path() / member.name;
      if (!initial_cluster.empty()) initial_cluster += ',';
      initial_cluster += member.name + "=" + peer_url(member.peer_port);
      cluster->members_.push_back(member);
    }
    cluster->initial_cluster_ = initial_cluster;
    static std::atomic<int> clusters_started{0};
    cluster->token_ =
        "wal-test-" + std::to_string(::getpid()) + "-" + std::to_string(++clusters_started);
    for (int i = 0; i < members; ++i) cluster->spawn(i);
    for (int i = 0; i < members; ++i) {
      if (!cluster->wait_healthy(i, std::chrono::seconds(30))) {
        for (int j = 0; j < members; ++j) {
          if (cluster->log_tail(j).find("address already in use") != std::string::npos) {
            *port_taken = true;
          }
        }
        *error = "etcd member " + std::to_string(i) + " did not become healthy; its log:\n" +
                 cluster->log_tail(i);
        return nullptr;
      }
    }
    return cluster;
  }

  static std::string peer_url(int port) { return "http://127.0.0.1:" + std::to_string(port); }
  fs::path log_path(int i) const { return dir_.path() / (members_[i].name + ".log"); }

  void spawn(int i) {
    Member& member = members_[i];
    const std::string client = client_url(i);
    std::vector<std::string> args = {
        binary_,
        "--name=" + member.name,
        "--data-dir=" + member.data_dir.string(),
        "--listen-client-urls=" + client,
        "--advertise-client-urls=" + client,
        "--listen-peer-urls=" + peer_url(member.peer_port),
        "--initial-advertise-peer-urls=" + peer_url(member.peer_port),
        "--initial-cluster=" + initial_cluster_,
        "--initial-cluster-token=" + token_,
        "--initial-cluster-state=new",
        "--listen-metrics-urls=http://127.0.0.1:" + std::to_string(member.metrics_port),
        "--logger=zap",
        "--log-level=warn"};
    args.insert(args.end(), extra_flags_.begin(), extra_flags_.end());
    const std::string log = log_path(i).string();
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) std::abort();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      FILE* out = std::fopen(log.c_str(), "a");
      if (out != nullptr) {
        ::dup2(::fileno(out), 1);
        ::dup2(::fileno(out), 2);
      }
      std::vector<char*> argv;
      for (std::string& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    member.pid = pid;
  }

  TempDir dir_;
  std::string binary_;
  std::vector<std::string> extra_flags_;
  std::string scheme_ = "http";
  std::string initial_cluster_;
  std::string token_;
  std::vector<Member> members_;
};

}  // namespace wal::testing
