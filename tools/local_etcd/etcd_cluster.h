// EtcdCluster: real etcd members on 127.0.0.1 with free ports and a
// temporary data directory, started and killed at will. The tests and
// walbench's etcd engines run their clusters with it.
//
// The etcd binary is $WAL_ETCD_BINARY or `etcd` on the PATH (Debian's
// etcd-server); callers check etcd_skip_reason() first. Members die with
// the process that started them (PR_SET_PDEATHSIG), so a crash leaves no
// etcd behind; the destructor kills them and removes the data directory.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http_request.h"
#include "wal/json.h"

namespace wal::local_etcd {

// The etcd binary to run, if there is one.
std::optional<std::string> find_etcd_binary();

// Why no cluster can be started here, or empty when one can.
std::string etcd_skip_reason();

class EtcdCluster {
 public:
  // Starts `members` members and waits until each reports healthy. On
  // failure returns nullptr and says why in `error`.
  // `scheme` "https" serves clients with TLS (pass the certificate flags in
  // `extra_flags`); health is then still checked over the plain metrics URL.
  // The data directory is made in `parent_dir` (default: the system's
  // temporary directory); a benchmark puts it on the disk it measures.
  static std::unique_ptr<EtcdCluster> start(int members, std::string* error,
                                            std::vector<std::string> extra_flags = {},
                                            const std::string& scheme = "http",
                                            const std::filesystem::path& parent_dir = {});
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  int size() const { return static_cast<int>(members_.size()); }
  std::string client_url(int i) const;
  std::vector<std::string> client_urls() const;
  int client_port(int i) const { return members_[i].client_port; }
  bool running(int i) const { return members_[i].pid > 0; }

  // SIGKILL, as a crash or a power cut of that member would look to the others.
  void kill(int i);

  // Starts a killed member again on its data directory and waits until
  // healthy (which needs a quorum: start the others first when all are down).
  bool restart(int i, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // The same without waiting.
  void start_again(int i);

  bool healthy(int i) const;
  // False at once if the member exits (a port taken, a bad flag).
  bool wait_healthy(int i, std::chrono::milliseconds timeout);

  // The member's view through etcd's JSON gateway: {"header": {"member_id", ...}, "leader", ...}.
  std::optional<Json> member_status(int i) const;
  // The index of the current leader among running members, or -1.
  int leader() const;
  // Waits for a leader among the running members; -1 on timeout.
  int wait_for_leader(std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;

  // POSTs to the JSON gateway of member i (e.g. "/v3/auth/enable").
  HttpReply post(int i, const std::string& path, const std::string& body) const;

  // GETs member i's Prometheus metrics (plain HTTP, whatever the client scheme).
  HttpReply metrics(int i) const;

  std::string log_tail(int i) const;

 private:
  struct Member {
    std::string name;
    int client_port = 0;
    int peer_port = 0;
    int metrics_port = 0;  // plain HTTP /health, whatever the client scheme
    std::filesystem::path data_dir;
    pid_t pid = -1;
  };

  explicit EtcdCluster(std::filesystem::path dir);
  static std::unique_ptr<EtcdCluster> start_once(int members, std::string* error,
                                                 const std::vector<std::string>& extra_flags,
                                                 const std::string& scheme,
                                                 const std::filesystem::path& parent_dir,
                                                 bool* port_taken);
  std::filesystem::path log_path(int i) const;
  void spawn(int i);

  const std::filesystem::path dir_;  // removed with the cluster
  std::string binary_;
  std::vector<std::string> extra_flags_;
  std::string scheme_ = "http";
  std::string initial_cluster_;
  std::string token_;
  std::vector<Member> members_;
};

}  // namespace wal::local_etcd
