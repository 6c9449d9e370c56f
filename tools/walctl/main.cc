// walctl: persist, retrieve, inspect and verify a wal data directory.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "wal/state_interpreter_factory.h"

int main(int argc, char** argv) {
  walctl::GlobalOptions options;
  options.dir = "./wal-data";

  CLI::App app{"walctl: inspect, verify and write a wal data directory or etcd backend"};
  app.require_subcommand(1);
  app.add_option("--dir", options.dir, "data directory (default ./wal-data)")->envname("WAL_DIR");
  auto* layout_option =
      app.add_option("--layout", options.layout,
                     "on-disk layout: auto (default: the one an existing directory holds, "
                     "segmented for a new one), seed or segmented")
          ->check(CLI::IsMember({"seed", "segmented", "auto"}));
  const std::vector<std::string> interpreters(wal::state_interpreter_names().begin(),
                                              wal::state_interpreter_names().end());
  app.add_option("--interpreter", options.interpreter,
                 "how messages merge into a client's state (default consumer); not recorded on "
                 "disk, so pass the one that wrote the directory")
      ->check(CLI::IsMember(interpreters))
      ->envname("WAL_INTERPRETER");
  app.add_option("--service", options.service_name,
                 "service name: shown in messages; with etcd, part of every key");
  app.add_option("--checkpoint-threshold", options.checkpoint_threshold,
                 "logs per client before a checkpoint consolidates them")
      ->check(CLI::Range(1u, 1000000u));
  app.add_option(
         "--dedup", options.dedup,
         "dedup policy: auto (default: the one the directory or etcd service records; "
         "high-water-mark for a new one), high-water-mark (an id at or below the highest is a "
         "duplicate) or exact (only an id recorded before is; see docs/format.md)")
      ->check(CLI::IsMember({"auto", "high-water-mark", "exact"}))
      ->envname("WAL_DEDUP");
  app.add_option("--dedup-window", options.dedup_window,
                 "exact dedup: ids tracked above the low-water mark; older ones are too-old")
      ->check(CLI::Range(uint64_t{1}, UINT64_MAX));
  walctl::add_backend_options(app, options.backend);

  std::string client;
  std::string id;
  std::optional<std::string> json;
  std::optional<std::string> only_client;
  walctl::ExitCode code = walctl::kExitOk;

  auto* persist =
      app.add_subcommand("persist", "record one message; JSON from the argument or stdin");
  persist->add_option("CLIENT", client, "client id")->required();
  persist->add_option("ID", id, "message id, an unsigned 64-bit integer")->required();
  persist->add_option("JSON", json, "message data (default: read standard input)");
  persist->callback([&] { code = walctl::run_persist(options, client, id, json); });

  auto* retrieve = app.add_subcommand("retrieve", "print a client's merged state");
  retrieve->add_option("CLIENT", client, "client id")->required();
  retrieve->callback([&] { code = walctl::run_retrieve(options, client); });

  auto* clear = app.add_subcommand("clear", "forget a client");
  clear->add_option("CLIENT", client, "client id")->required();
  clear->callback([&] { code = walctl::run_clear(options, client); });

  app.add_subcommand("clients", "list clients with their highest recorded id")->callback([&] {
    code = walctl::run_clients(options);
  });

  app.add_subcommand("ingest",
                     "persist JSON Lines {\"client\":...,\"id\":...,\"data\":...} from stdin")
      ->callback([&] { code = walctl::run_ingest(options); });

  auto* inspect = app.add_subcommand("inspect", "describe every file, changing nothing");
  inspect->add_option("CLIENT", only_client, "only this client");
  inspect->callback([&] {
    options.layout_given = layout_option->count() > 0;
    code = walctl::run_inspect(options, only_client);
  });

  auto* verify = app.add_subcommand("verify", "read and check everything; exit 1 on damage");
  verify->add_option("CLIENT", only_client, "only this client");
  verify->callback([&] {
    options.layout_given = layout_option->count() > 0;
    code = walctl::run_verify(options, only_client);
  });

  bool dry_run = false;
  auto* repair = app.add_subcommand(
      "repair",
      "set damaged files aside in DIR/.quarantine/ so the directory opens again; the service must "
      "be stopped. Seed layout: damaged files move there. Segmented layout: damaged segments and "
      "snapshots are copied there, then a snapshot of every record that checks out retires them "
      "and a torn tail is cut; the affected clients and message ids are reported");
  repair->add_option("CLIENT", only_client, "only this client (seed layout)");
  repair->add_flag("--dry-run", dry_run, "say what would be done, change nothing");
  repair->callback([&] {
    options.layout_given = layout_option->count() > 0;
    code = walctl::run_repair(options, only_client, dry_run);
  });

  walctl::ConvertOptions convert_options;
  auto* convert = app.add_subcommand(
      "convert",
      "copy the data directory (--dir, either layout) or the etcd service (--backend etcd) into a "
      "new directory or etcd service, keeping every client's state and dedup mark; the source is "
      "not modified");
  convert->add_option("--to", convert_options.to, "the new directory: absent or empty");
  convert
      ->add_option("--to-layout", convert_options.to_layout,
                   "seed or segmented (default: the layout the source does not have; "
                   "segmented from etcd)")
      ->check(CLI::IsMember({"seed", "segmented"}));
  convert
      ->add_option("--to-backend", convert_options.to_backend,
                   "local (default: --to) or etcd (an empty service)")
      ->check(CLI::IsMember({"local", "etcd"}));
  convert->add_option("--to-endpoints", convert_options.to_endpoints,
                      "etcd target: client URLs (default: --endpoints)");
  convert->add_option("--to-prefix", convert_options.to_prefix,
                      "etcd target: key prefix (default: --prefix)");
  convert->add_option("--to-service", convert_options.to_service,
                      "etcd target: service name (default: --service)");
  convert->callback([&] { code = walctl::run_convert(options, convert_options); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    std::cerr << "walctl: usage: " << error.what() << " (walctl --help for usage)" << std::endl;
    return walctl::kExitUsage;
  } catch (const std::bad_alloc&) {
    std::cerr << "walctl: out of memory; free memory or raise the limit, and run it again"
              << std::endl;
    return walctl::kExitIo;
  } catch (const std::exception& error) {
    // Every expected failure is a status; this is a bug, but no reason to abort.
    std::cerr << "walctl: unexpected error: " << error.what()
              << "; please report it with the command line" << std::endl;
    return walctl::kExitIo;
  }
  return code;
}
