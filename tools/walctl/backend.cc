#include "backend.h"

#include <cstdlib>
#include <iostream>

#include "commands.h"
#ifdef WALCTL_WITH_ETCD
#include "wal/etcd_persistence.h"
#endif

namespace walctl {

void add_backend_options(CLI::App& app, BackendOptions& options) {
  app.add_option("--backend", options.name, "where messages are kept (default local: --dir)")
      ->check(CLI::IsMember({"local", "etcd"}))
      ->envname("WAL_BACKEND");
  app.add_option("--endpoints", options.endpoints,
                 "etcd client URLs, comma-separated (default http://127.0.0.1:2379)")
      ->envname("WAL_ETCD_ENDPOINTS");
  app.add_option("--prefix", options.prefix, "etcd key prefix (default /wal)")
      ->envname("WAL_ETCD_PREFIX");
  app.add_option("--etcd-user", options.user,
                 "etcd user; the password is read from $WAL_ETCD_PASSWORD");
  app.add_option("--etcd-ca", options.ca_file, "PEM CA bundle for https:// endpoints");
  app.add_option("--etcd-cert", options.cert_file, "PEM client certificate for https:// endpoints");
  app.add_option("--etcd-key", options.key_file, "PEM client key for https:// endpoints");
  app.add_option("--etcd-timeout", options.timeout_ms,
                 "milliseconds a call keeps trying the members (default 10000)")
      ->check(CLI::Range(1u, 3600000u));
}

wal::Status require_local_backend(const GlobalOptions& options, const std::string& command) {
  if (!options.backend.is_etcd()) return wal::Status::ok();
  return wal::Status::invalid_argument(command +
                                       " reads a local data directory; with --backend etcd use "
                                       "retrieve and clients");
}

#ifdef WALCTL_WITH_ETCD

wal::Result<std::unique_ptr<wal::DataPersistence>> open_etcd_backend(
    const GlobalOptions& options, std::shared_ptr<wal::StateInterpreter> interpreter) {
  const BackendOptions& backend = options.backend;
  wal::EtcdOptions etcd;
  etcd.endpoints.clear();
  std::string_view rest = backend.endpoints;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    if (std::string_view one = rest.substr(0, comma); !one.empty())
      etcd.endpoints.emplace_back(one);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  etcd.prefix = backend.prefix;
  etcd.service_name = options.service_name;
  etcd.username = backend.user;
  if (const char* password = std::getenv("WAL_ETCD_PASSWORD")) etcd.password = password;
  etcd.tls = {backend.ca_file, backend.cert_file, backend.key_file};
  etcd.operation_timeout = std::chrono::milliseconds(backend.timeout_ms);
  etcd.request_timeout = std::min(etcd.request_timeout, etcd.operation_timeout);
  etcd.checkpoint_threshold = options.checkpoint_threshold;
  // A short-lived tool: the services that use the cluster compact it.
  etcd.compaction_interval = std::chrono::milliseconds(0);
  etcd.on_warning = [](const wal::Status& warning) {
    std::cerr << "walctl: warning: " << warning.to_string() << std::endl;
  };
  auto log = wal::EtcdPersistence::open(std::move(interpreter), etcd);
  if (!log.is_ok()) return log.status();
  return std::unique_ptr<wal::DataPersistence>(std::move(log).value());
}

#else

wal::Result<std::unique_ptr<wal::DataPersistence>> open_etcd_backend(
    const GlobalOptions&, std::shared_ptr<wal::StateInterpreter>) {
  return wal::Status::invalid_argument(
      "this walctl was built without the etcd backend (WAL_BUILD_ETCD=OFF)");
}

#endif

}  // namespace walctl
