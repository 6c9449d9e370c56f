#include "backend.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>

#include "commands.h"
#ifdef WALCTL_WITH_ETCD
#include "wal/etcd_persistence.h"
#include "wal/write_ahead_log.h"
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

namespace {

wal::EtcdOptions etcd_options(const GlobalOptions& options) {
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
  return etcd;
}

wal::Result<std::unique_ptr<wal::EtcdPersistence>> open_etcd(
    const wal::EtcdOptions& etcd, std::shared_ptr<wal::StateInterpreter> interpreter) {
  return wal::EtcdPersistence::open(std::move(interpreter), etcd);
}

std::string etcd_name(const wal::EtcdOptions& etcd) {
  std::string endpoints;
  for (const std::string& endpoint : etcd.endpoints) {
    endpoints += (endpoints.empty() ? "" : ",") + endpoint;
  }
  return "etcd " + endpoints + " " + etcd.prefix + "/" + etcd.service_name;
}

class EtcdTarget final : public ConvertTarget {
 public:
  EtcdTarget(wal::EtcdOptions options, std::shared_ptr<wal::StateInterpreter> interpreter,
             std::string source_name)
      : options_(std::move(options)),
        interpreter_(std::move(interpreter)),
        source_name_(std::move(source_name)) {
    options_.open_unfinished_import = true;
  }

  std::string name() const override { return etcd_name(options_); }

  wal::Status begin() override {
    WAL_ASSIGN_OR_RETURN(log_, open_etcd(options_, interpreter_));
    return log_->begin_import(source_name_);
  }

  wal::Status add(const std::string& client_id, const wal::Json& state,
                  uint64_t max_message_id) override {
    return log_->import_state(client_id, state, max_message_id);
  }

  wal::Result<std::unique_ptr<ConvertSource>> written() override {
    WAL_ASSIGN_OR_RETURN(std::unique_ptr<wal::EtcdPersistence> log,
                         open_etcd(read_only(options_), interpreter_));
    return persistence_source(std::move(log));
  }

  wal::Status publish() override {
    WAL_RETURN_IF_ERROR(log_->finish_import());
    log_.reset();
    return wal::Status::ok();
  }

  wal::Result<std::unique_ptr<ConvertSource>> published() override {
    wal::EtcdOptions options = read_only(options_);
    options.open_unfinished_import = false;
    WAL_ASSIGN_OR_RETURN(std::unique_ptr<wal::EtcdPersistence> log,
                         open_etcd(options, interpreter_));
    return persistence_source(std::move(log));
  }

  // Reading takes no checkpoint.
  static wal::EtcdOptions read_only(wal::EtcdOptions options) {
    options.checkpoint_threshold = UINT32_MAX;
    return options;
  }

 private:
  wal::EtcdOptions options_;
  std::shared_ptr<wal::StateInterpreter> interpreter_;
  const std::string source_name_;
  std::unique_ptr<wal::EtcdPersistence> log_;
};

}  // namespace

wal::Result<std::unique_ptr<wal::DataPersistence>> open_etcd_backend(
    const GlobalOptions& options, std::shared_ptr<wal::StateInterpreter> interpreter) {
  wal::EtcdOptions etcd = etcd_options(options);
  if (options.dedup == "auto") {
    WAL_ASSIGN_OR_RETURN(etcd.dedup.policy, wal::EtcdPersistence::stored_dedup_policy(etcd));
  } else {
    WAL_ASSIGN_OR_RETURN(etcd.dedup.policy, wal::parse_dedup_policy(options.dedup));
  }
  etcd.dedup.window = options.dedup_window;
  auto log = open_etcd(etcd, std::move(interpreter));
  if (!log.is_ok()) return log.status();
  return std::unique_ptr<wal::DataPersistence>(std::move(log).value());
}

wal::Result<std::unique_ptr<ConvertSource>> open_etcd_source(
    const GlobalOptions& options, std::shared_ptr<wal::StateInterpreter> interpreter) {
  const wal::EtcdOptions etcd = EtcdTarget::read_only(etcd_options(options));
  WAL_ASSIGN_OR_RETURN(const wal::DedupPolicy dedup,
                       wal::EtcdPersistence::stored_dedup_policy(etcd));
  if (dedup != wal::DedupPolicy::kHighWaterMark) {
    // As for a local source: marks alone would give up the ids still awaited.
    return wal::Status::invalid_argument("the etcd service uses the " +
                                         std::string(wal::dedup_policy_name(dedup)) +
                                         " dedup policy, which convert does not carry over yet");
  }
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<wal::EtcdPersistence> log,
                       open_etcd(etcd, std::move(interpreter)));
  return persistence_source(std::move(log));
}

wal::Result<std::unique_ptr<ConvertTarget>> etcd_target(
    const GlobalOptions& options, std::shared_ptr<wal::StateInterpreter> interpreter,
    const std::string& source_name) {
  return std::unique_ptr<ConvertTarget>(
      new EtcdTarget(etcd_options(options), std::move(interpreter), source_name));
}

#else

namespace {

wal::Status no_etcd() {
  return wal::Status::invalid_argument(
      "this walctl was built without the etcd backend (WAL_BUILD_ETCD=OFF)");
}

}  // namespace

wal::Result<std::unique_ptr<wal::DataPersistence>> open_etcd_backend(
    const GlobalOptions&, std::shared_ptr<wal::StateInterpreter>) {
  return no_etcd();
}

wal::Result<std::unique_ptr<ConvertSource>> open_etcd_source(
    const GlobalOptions&, std::shared_ptr<wal::StateInterpreter>) {
  return no_etcd();
}

wal::Result<std::unique_ptr<ConvertTarget>> etcd_target(const GlobalOptions&,
                                                        std::shared_ptr<wal::StateInterpreter>,
                                                        const std::string&) {
  return no_etcd();
}

#endif

}  // namespace walctl
