// walctl's commands. Each prints JSON on stdout, one error line on stderr,
// and returns the exit code documented in README.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "backend.h"
#include "exit_code.h"
#include "wal/data_persistence.h"
#include "wal/dedup_policy.h"

namespace walctl {

struct GlobalOptions {
  std::string dir;
  // "auto": an existing directory in the layout it holds, a new one segmented.
  std::string layout = "auto";
  bool layout_given = false;  // --layout was on the command line
  // A name make_state_interpreter accepts. Not recorded on disk: use the
  // interpreter that wrote the directory.
  std::string interpreter = "consumer";
  std::string service_name = "walctl";
  uint32_t checkpoint_threshold = 3;
  // "auto": the policy the directory records (high-water-mark for a new one),
  // or "high-water-mark" or "exact".
  std::string dedup = "auto";
  uint64_t dedup_window = wal::DedupOptions{}.window;
  BackendOptions backend;
};

// Prints "walctl: <what>" on stderr and returns the status's exit code.
ExitCode report_error(const wal::Status& status);

// The interpreter options.interpreter names.
wal::Result<std::shared_ptr<wal::StateInterpreter>> make_interpreter(const GlobalOptions& options);

// Opens the data directory for writing (takes its lock, recovers), or the
// etcd backend.
wal::Result<std::unique_ptr<wal::DataPersistence>> open_log(const GlobalOptions& options);

ExitCode run_persist(const GlobalOptions& options, const std::string& client,
                     const std::string& id_text, const std::optional<std::string>& json_text);
ExitCode run_retrieve(const GlobalOptions& options, const std::string& client);
ExitCode run_clear(const GlobalOptions& options, const std::string& client);
ExitCode run_clients(const GlobalOptions& options);
ExitCode run_inspect(const GlobalOptions& options, const std::optional<std::string>& client);
ExitCode run_verify(const GlobalOptions& options, const std::optional<std::string>& client);
ExitCode run_repair(const GlobalOptions& options, const std::optional<std::string>& client,
                    bool dry_run);
ExitCode run_ingest(const GlobalOptions& options);
// convert's own options: the target.
struct ConvertOptions {
  std::string to;         // a local directory
  std::string to_layout;  // "seed", "segmented", or empty: the layout the source does not have
  std::string to_backend = "local";
  // An etcd target: these, or the global --endpoints, --prefix and --service.
  std::string to_endpoints;
  std::string to_prefix;
  std::string to_service;
};

// `convert`: see convert.h.
ExitCode run_convert(const GlobalOptions& options, const ConvertOptions& convert);

}  // namespace walctl
