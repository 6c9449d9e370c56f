// walctl's --backend: where persist, retrieve, clear, clients and ingest
// work. "local" is the data directory (--dir, --layout); "etcd" is an etcd
// cluster (--endpoints, --prefix, and --service naming the key space).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "convert.h"
#include "wal/data_persistence.h"
#include "wal/state_interpreter.h"
#include "wal/status.h"

namespace walctl {

struct GlobalOptions;

struct BackendOptions {
  std::string name = "local";
  std::string endpoints = "http://127.0.0.1:2379";  // comma-separated
  std::string prefix = "/wal";
  std::string user;     // the password comes from $WAL_ETCD_PASSWORD
  std::string ca_file;  // TLS, for https:// endpoints
  std::string cert_file;
  std::string key_file;
  uint32_t timeout_ms = 10000;

  bool is_etcd() const { return name == "etcd"; }
};

// Adds --backend and the etcd options to walctl's command line.
void add_backend_options(CLI::App& app, BackendOptions& options);

// Opens the etcd backend named by the options.
wal::Result<std::unique_ptr<wal::DataPersistence>> open_etcd_backend(
    const GlobalOptions& options, std::shared_ptr<wal::StateInterpreter> interpreter);

// convert's etcd ends. A source is read only (it takes no checkpoints); a
// target is filled between EtcdPersistence::begin_import and finish_import,
// `source_name` naming where its data came from.
wal::Result<std::unique_ptr<ConvertSource>> open_etcd_source(
    const GlobalOptions& options, std::shared_ptr<wal::StateInterpreter> interpreter);
wal::Result<std::unique_ptr<ConvertTarget>> etcd_target(
    const GlobalOptions& options, std::shared_ptr<wal::StateInterpreter> interpreter,
    const std::string& source_name);

// kInvalidArgument naming `command` when the backend is not the local directory.
wal::Status require_local_backend(const GlobalOptions& options, const std::string& command);

}  // namespace walctl
