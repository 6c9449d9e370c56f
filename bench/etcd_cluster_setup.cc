#include "etcd_cluster_setup.h"

#include <fstream>
#include <random>

#include "engine.h"
#include "files.h"

namespace walbench {
namespace {

std::vector<std::string>& endpoints() {
  static std::vector<std::string> urls;
  return urls;
}

std::vector<int>& client_ports() {
  static std::vector<int> ports;
  return ports;
}

}  // namespace

std::unique_ptr<wal::local_etcd::EtcdCluster> start_etcd_cluster(const std::string& parent_dir) {
  std::string error;
  auto cluster = wal::local_etcd::EtcdCluster::start(3, &error, {}, "http", parent_dir);
  if (!cluster) throw EngineError("starting a 3-member etcd cluster: " + error);
  endpoints() = cluster->client_urls();
  client_ports().clear();
  for (int i = 0; i < cluster->size(); ++i) client_ports().push_back(cluster->client_port(i));
  return cluster;
}

const std::vector<std::string>& etcd_endpoints() {
  if (endpoints().empty()) throw EngineError("no etcd cluster was started for the etcd engines");
  return endpoints();
}

std::string etcd_prefix(const std::string& dir) {
  make_dirs(dir);
  const std::string path = dir + "/etcd-prefix";
  std::string prefix;
  if (std::ifstream in(path); in && std::getline(in, prefix) && !prefix.empty()) return prefix;
  std::random_device random;
  prefix = "/walbench-" + std::to_string(random()) + std::to_string(random());
  std::ofstream out(path, std::ios::trunc);
  out << prefix << "\n";
  if (!out.flush()) throw EngineError("cannot write " + path);
  return prefix;
}

int64_t etcd_revision() {
  for (int port : client_ports()) {
    const auto reply = wal::local_etcd::http_request(port, "POST", "/v3/maintenance/status", "{}");
    if (reply.status != 200) continue;
    const auto status = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
    if (!status.is_object() || !status.contains("header")) continue;
    // The JSON gateway prints 64-bit integers as strings.
    const auto& revision = status["header"]["revision"];
    if (revision.is_string()) return std::stoll(revision.get<std::string>());
  }
  return -1;
}

}  // namespace walbench
