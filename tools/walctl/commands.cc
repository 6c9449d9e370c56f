#include "commands.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "convert.h"
#include "data_dir_report.h"
#include "dedup/policy_file.h"
#include "ingest_line.h"
#include "layout.h"
#include "segmented_repair.h"
#include "segmented_report.h"
#include "wal/file_system_storage.h"
#include "wal/json.h"
#include "wal/state_interpreter_factory.h"
#include "wal/write_ahead_log.h"

namespace walctl {
namespace {

void print_line(const wal::Json& value) { std::cout << value.dump() << '\n' << std::flush; }

// The layout inspect, verify and repair read: the one the directory holds.
// An explicit --layout that contradicts it is an error; a directory that
// cannot be read is left to the seed reports, which say why.
wal::Result<wal::Layout> report_layout(const GlobalOptions& options, wal::Storage& storage) {
  auto found = wal::detect_layout(storage, options.dir);
  if (!found.is_ok() || *found == wal::Layout::kAuto) return wal::Layout::kSeed;
  if (options.layout_given && options.layout != "auto" &&
      options.layout != wal::layout_name(*found)) {
    return wal::Status::invalid_argument(options.dir + " holds the " + wal::layout_name(*found) +
                                         " layout, not \"" + options.layout + "\"");
  }
  return *found;
}

wal::Result<std::string> read_stdin() {
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (std::cin.bad()) return wal::Status::io_error("read", "standard input", errno);
  return text;
}

}  // namespace

ExitCode report_error(const wal::Status& status) {
  std::cerr << "walctl: " << status.to_string() << std::endl;
  return exit_code_for(status);
}

wal::Result<std::shared_ptr<wal::StateInterpreter>> make_interpreter(const GlobalOptions& options) {
  return wal::make_state_interpreter(options.interpreter);
}

wal::Result<std::unique_ptr<wal::DataPersistence>> open_log(const GlobalOptions& options) {
  WAL_ASSIGN_OR_RETURN(auto interpreter, make_interpreter(options));
  if (options.backend.is_etcd()) return open_etcd_backend(options, std::move(interpreter));
  wal::WriteAheadLogOptions log_options;
  WAL_ASSIGN_OR_RETURN(log_options.layout, wal::parse_layout(options.layout));
  log_options.service_name = options.service_name;
  log_options.base_dir = options.dir;
  log_options.checkpoint_threshold = options.checkpoint_threshold;
  auto storage = std::make_shared<wal::FileSystemStorage>();
  if (options.dedup == "auto") {
    WAL_ASSIGN_OR_RETURN(log_options.dedup.policy, wal::read_dedup_policy(*storage, options.dir));
  } else {
    WAL_ASSIGN_OR_RETURN(log_options.dedup.policy, wal::parse_dedup_policy(options.dedup));
  }
  log_options.dedup.window = options.dedup_window;
  log_options.on_warning = [](const wal::Status& warning) {
    std::cerr << "walctl: warning: " << warning.to_string() << std::endl;
  };
  auto log = wal::WriteAheadLog::open(std::move(interpreter), std::move(storage), log_options);
  if (!log.is_ok()) return log.status();
  return std::unique_ptr<wal::DataPersistence>(std::move(log).value());
}

ExitCode run_persist(const GlobalOptions& options, const std::string& client,
                     const std::string& id_text, const std::optional<std::string>& json_text) {
  auto id = parse_message_id(id_text);
  if (!id.is_ok()) return report_error(id.status());
  std::string text;
  if (json_text) {
    text = *json_text;
  } else {
    auto input = read_stdin();
    if (!input.is_ok()) return report_error(input.status());
    text = std::move(input).value();
  }
  auto data = wal::parse_json(text, json_text ? "the JSON argument" : "standard input");
  if (!data.is_ok()) return report_error(data.status());
  auto log = open_log(options);
  if (!log.is_ok()) return report_error(log.status());
  auto outcome = (*log)->persist(client, *data, *id);
  if (!outcome.is_ok()) return report_error(outcome.status());
  print_line({{"outcome", wal::outcome_name(*outcome)}});
  return kExitOk;
}

ExitCode run_retrieve(const GlobalOptions& options, const std::string& client) {
  auto log = open_log(options);
  if (!log.is_ok()) return report_error(log.status());
  auto state = (*log)->retrieve(client);
  if (!state.is_ok()) return report_error(state.status());
  print_line(*state);
  return kExitOk;
}

ExitCode run_clear(const GlobalOptions& options, const std::string& client) {
  auto log = open_log(options);
  if (!log.is_ok()) return report_error(log.status());
  if (wal::Status cleared = (*log)->clear(client); !cleared.is_ok()) return report_error(cleared);
  print_line({{"cleared", client}});
  return kExitOk;
}

ExitCode run_clients(const GlobalOptions& options) {
  auto log = open_log(options);
  if (!log.is_ok()) return report_error(log.status());
  auto clients = (*log)->clients();
  if (!clients.is_ok()) return report_error(clients.status());
  for (const wal::ClientSummary& client : *clients) {
    wal::Json line = wal::Json::object();
    line["client"] = client.client_id;
    line["max_message_id"] =
        client.max_message_id ? wal::Json(*client.max_message_id) : wal::Json(nullptr);
    print_line(line);
  }
  return kExitOk;
}

ExitCode run_inspect(const GlobalOptions& options, const std::optional<std::string>& client) {
  if (wal::Status local = require_local_backend(options, "inspect"); !local.is_ok()) {
    return report_error(local);
  }
  wal::FileSystemStorage storage;
  auto layout = report_layout(options, storage);
  if (!layout.is_ok()) return report_error(layout.status());
  if (*layout == wal::Layout::kSegmented) {
    if (client) {
      return report_error(wal::Status::invalid_argument(
          "inspect of the segmented layout describes its shared files, not one client"));
    }
    wal::Status inspected = inspect_segmented_dir(storage, options.dir, print_line);
    return inspected.is_ok() ? kExitOk : report_error(inspected);
  }
  wal::Status inspected = inspect_data_dir(storage, {options.dir, client}, print_line);
  return inspected.is_ok() ? kExitOk : report_error(inspected);
}

ExitCode run_verify(const GlobalOptions& options, const std::optional<std::string>& client) {
  if (wal::Status local = require_local_backend(options, "verify"); !local.is_ok()) {
    return report_error(local);
  }
  auto interpreter = make_interpreter(options);
  if (!interpreter.is_ok()) return report_error(interpreter.status());
  wal::FileSystemStorage storage;
  auto layout = report_layout(options, storage);
  if (!layout.is_ok()) return report_error(layout.status());
  if (*layout == wal::Layout::kSegmented) {
    if (client) {
      return report_error(wal::Status::invalid_argument(
          "verify of the segmented layout checks the shared files of every client"));
    }
    auto problems = verify_segmented_dir(std::make_shared<wal::FileSystemStorage>(), *interpreter,
                                         options.dir, print_line);
    if (!problems.is_ok()) return report_error(problems.status());
    if (*problems > 0) {
      std::cerr << "walctl: verify found " << *problems << " problem(s) in " << options.dir
                << "; see \"problem\" and \"what_to_do\" above" << std::endl;
      return kExitDamage;
    }
    return kExitOk;
  }
  auto damaged = verify_data_dir(storage, **interpreter, {options.dir, client}, print_line);
  if (!damaged.is_ok()) return report_error(damaged.status());
  if (*damaged > 0) {
    std::cerr << "walctl: verify found damage in " << *damaged << " client(s) of " << options.dir
              << "; see \"problems\" and \"what_to_do\" above" << std::endl;
    return kExitDamage;
  }
  return kExitOk;
}

ExitCode run_repair(const GlobalOptions& options, const std::optional<std::string>& client,
                    bool dry_run) {
  if (wal::Status local = require_local_backend(options, "repair"); !local.is_ok()) {
    return report_error(local);
  }
  auto interpreter = make_interpreter(options);
  if (!interpreter.is_ok()) return report_error(interpreter.status());
  wal::FileSystemStorage storage;
  auto layout = report_layout(options, storage);
  if (!layout.is_ok()) return report_error(layout.status());
  if (*layout == wal::Layout::kSegmented) {
    if (client) {
      return report_error(wal::Status::invalid_argument(
          "repair of the segmented layout repairs the shared files of every client; drop " +
          *client));
    }
    auto kept = repair_segmented_dir(std::make_shared<wal::FileSystemStorage>(), *interpreter,
                                     options.dir, dry_run, print_line);
    return kept.is_ok() ? kExitOk : report_error(kept.status());
  }
  auto moved = repair_data_dir(storage, **interpreter, {options.dir, client}, dry_run, print_line);
  return moved.is_ok() ? kExitOk : report_error(moved.status());
}

ExitCode run_convert(const GlobalOptions& options, const ConvertOptions& convert_options) {
  auto interpreter = make_interpreter(options);
  if (!interpreter.is_ok()) return report_error(interpreter.status());
  const bool to_etcd = convert_options.to_backend == "etcd";
  if (to_etcd == !convert_options.to.empty()) {
    return report_error(wal::Status::invalid_argument(
        "convert needs a target: --to DIR, or --to-backend etcd (not both)"));
  }
  if (to_etcd && !convert_options.to_layout.empty()) {
    return report_error(wal::Status::invalid_argument("--to-layout names a local layout"));
  }
  wal::Layout to_layout = wal::Layout::kAuto;
  if (!convert_options.to_layout.empty()) {
    auto layout = wal::parse_layout(convert_options.to_layout);
    if (!layout.is_ok()) return report_error(layout.status());
    to_layout = *layout;
  }
  auto storage = std::make_shared<wal::FileSystemStorage>();
  if (!options.backend.is_etcd() && !to_etcd) {
    auto converted =
        convert_data_dir(storage, *interpreter,
                         ConvertRequest{options.dir, convert_options.to, to_layout}, print_line);
    return converted.is_ok() ? kExitOk : report_error(converted.status());
  }

  // With etcd at one end or both.
  std::string source_name;
  std::string from_layout = "etcd";
  std::unique_ptr<ConvertSource> source;
  if (options.backend.is_etcd()) {
    source_name = "etcd " + options.backend.endpoints + " " + options.backend.prefix + "/" +
                  options.service_name;
    auto opened = open_etcd_source(options, *interpreter);
    if (!opened.is_ok()) return report_error(opened.status());
    source = std::move(opened).value();
  } else {
    source_name = options.dir;
    wal::Layout found = wal::Layout::kAuto;
    auto opened = open_local_source(storage, *interpreter, options.dir, &found);
    if (!opened.is_ok()) return report_error(opened.status());
    source = std::move(opened).value();
    from_layout = wal::layout_name(found);
  }
  std::unique_ptr<ConvertTarget> target;
  std::string target_name;
  std::string target_layout = "etcd";
  if (to_etcd) {
    GlobalOptions to = options;
    to.backend.name = "etcd";
    if (!convert_options.to_endpoints.empty()) to.backend.endpoints = convert_options.to_endpoints;
    if (!convert_options.to_prefix.empty()) to.backend.prefix = convert_options.to_prefix;
    if (!convert_options.to_service.empty()) to.service_name = convert_options.to_service;
    if (options.backend.is_etcd() && to.backend.endpoints == options.backend.endpoints &&
        to.backend.prefix == options.backend.prefix && to.service_name == options.service_name) {
      return report_error(wal::Status::invalid_argument("the target is the source"));
    }
    auto made = etcd_target(to, *interpreter, source_name);
    if (!made.is_ok()) return report_error(made.status());
    target = std::move(made).value();
  } else {
    // From etcd: segmented unless asked otherwise.
    if (to_layout == wal::Layout::kAuto) to_layout = wal::Layout::kSegmented;
    target_layout = wal::layout_name(to_layout);
    target = local_target(storage, *interpreter, convert_options.to, to_layout);
  }
  target_name = target->name();
  auto converted = convert(*source, *target, **interpreter, print_line);
  if (!converted.is_ok()) return report_error(converted.status());
  wal::Json line = wal::Json::object();
  line["converted"] = source_name;
  line["from_layout"] = from_layout;
  line["to"] = target_name;
  line["to_layout"] = target_layout;
  line["clients"] = converted->clients;
  line["empty_clients"] = converted->empty_clients;
  line["checked"] = true;
  print_line(line);
  return kExitOk;
}

}  // namespace walctl
