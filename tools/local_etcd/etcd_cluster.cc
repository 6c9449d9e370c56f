#include "etcd_cluster.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

namespace wal::local_etcd {
namespace {

namespace fs = std::filesystem;

std::string peer_url(int port) { return "http://127.0.0.1:" + std::to_string(port); }

// A new directory in `parent`, or empty on failure.
fs::path make_temp_dir(const fs::path& parent) {
  std::error_code ignored;
  const fs::path base = parent.empty() ? fs::temp_directory_path(ignored) : parent;
  fs::create_directories(base, ignored);
  std::string pattern = (base / "wal-etcd-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return {};
  return pattern;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

std::optional<std::string> find_etcd_binary() {
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

std::string etcd_skip_reason() {
  if (find_etcd_binary()) return "";
  return "etcd not found (install Debian's etcd-server, as scripts/setup.sh does, or set "
         "WAL_ETCD_BINARY): skipping what needs a running etcd";
}

std::unique_ptr<EtcdCluster> EtcdCluster::start(int members, std::string* error,
                                                std::vector<std::string> extra_flags,
                                                const std::string& scheme,
                                                const fs::path& parent_dir) {
  // A port found free may be taken by a parallel test before etcd binds it.
  for (int attempt = 0;; ++attempt) {
    bool port_taken = false;
    auto cluster = start_once(members, error, extra_flags, scheme, parent_dir, &port_taken);
    if (cluster || !port_taken || attempt == 4) return cluster;
  }
}

EtcdCluster::EtcdCluster(fs::path dir) : dir_(std::move(dir)) {}

EtcdCluster::~EtcdCluster() {
  for (int i = 0; i < size(); ++i) kill(i);
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

std::string EtcdCluster::client_url(int i) const {
  return scheme_ + "://127.0.0.1:" + std::to_string(members_[i].client_port);
}

std::vector<std::string> EtcdCluster::client_urls() const {
  std::vector<std::string> urls;
  for (int i = 0; i < size(); ++i) urls.push_back(client_url(i));
  return urls;
}

void EtcdCluster::kill(int i) {
  Member& member = members_[i];
  if (member.pid <= 0) return;
  ::kill(member.pid, SIGKILL);
  ::waitpid(member.pid, nullptr, 0);
  member.pid = -1;
}

bool EtcdCluster::restart(int i, std::chrono::milliseconds timeout) {
  start_again(i);
  return wait_healthy(i, timeout);
}

void EtcdCluster::start_again(int i) {
  if (members_[i].pid <= 0) spawn(i);
}

bool EtcdCluster::healthy(int i) const {
  const HttpReply reply = http_request(members_[i].metrics_port, "GET", "/health");
  return reply.status == 200 && reply.body.find("\"health\":\"true\"") != std::string::npos;
}

bool EtcdCluster::wait_healthy(int i, std::chrono::milliseconds timeout) {
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

std::optional<Json> EtcdCluster::member_status(int i) const {
  const HttpReply reply =
      http_request(members_[i].client_port, "POST", "/v3/maintenance/status", "{}");
  if (reply.status != 200) return std::nullopt;
  auto parsed = parse_json(reply.body, "status");
  if (!parsed.is_ok()) return std::nullopt;
  return *parsed;
}

int EtcdCluster::leader() const {
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

int EtcdCluster::wait_for_leader(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (int found = leader(); found >= 0) return found;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return -1;
}

HttpReply EtcdCluster::post(int i, const std::string& path, const std::string& body) const {
  return http_request(members_[i].client_port, "POST", path, body);
}

HttpReply EtcdCluster::metrics(int i) const {
  return http_request(members_[i].metrics_port, "GET", "/metrics");
}

std::string EtcdCluster::log_tail(int i) const {
  const std::string log = read_file(log_path(i));
  return log.size() > 4000 ? log.substr(log.size() - 4000) : log;
}

std::unique_ptr<EtcdCluster> EtcdCluster::start_once(int members, std::string* error,
                                                     const std::vector<std::string>& extra_flags,
                                                     const std::string& scheme,
                                                     const fs::path& parent_dir, bool* port_taken) {
  auto binary = find_etcd_binary();
  if (!binary) {
    *error = etcd_skip_reason();
    return nullptr;
  }
  fs::path dir = make_temp_dir(parent_dir);
  if (dir.empty()) {
    *error = "cannot make a data directory for etcd in " + parent_dir.string();
    return nullptr;
  }
  std::unique_ptr<EtcdCluster> cluster(new EtcdCluster(std::move(dir)));
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
    member.data_dir = cluster->dir_ / member.name;
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

fs::path EtcdCluster::log_path(int i) const { return dir_ / (members_[i].name + ".log"); }

void EtcdCluster::spawn(int i) {
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
  std::fflush(nullptr);  // the child must not write our buffered output again
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

}  // namespace wal::local_etcd
