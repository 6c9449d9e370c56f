// EtcdPersistence: the DataPersistence contract on an etcd v3 cluster.
//
//   wal::EtcdOptions options;
//   options.endpoints = {"http://10.0.0.1:2379", "http://10.0.0.2:2379", "http://10.0.0.3:2379"};
//   options.prefix = "/wal";
//   options.service_name = "my_service";
//   auto log = wal::EtcdPersistence::open(std::make_shared<wal::ConsumerStateInterpreter>(),
//                                         options);
//   auto outcome = (*log)->persist("client123", {{"content", "data"}}, 5);
//
// A message is acknowledged (kWritten) once etcd has committed it through Raft,
// that is on a majority of members, so it survives the loss of any minority.
// Each persist is one etcd transaction that compares the client's highest id
// and writes the message only if it is higher (under exact dedup, only if no
// log holds that id), so several instances, on one machine or many, may share
// a prefix and dedup stays exact. Concurrent
// persists share transactions (group commit). See docs/DISTRIBUTED.md for the key
// layout, the guarantees and how to run the cluster.
//
// Thread-safe. Compiled only when wal is built with WAL_BUILD_ETCD; link wal::etcd.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wal/data_persistence.h"
#include "wal/dedup_policy.h"
#include "wal/state_interpreter.h"
#include "wal/status.h"

namespace wal {

struct EtcdTlsOptions {
  // PEM files. An empty ca_file uses the system's roots; cert_file and
  // key_file together enable client-certificate authentication.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

struct EtcdOptions {
  // Client URLs of the members, "http://host:port" or "https://host:port"
  // (TLS); a bare "host:port" is taken as http. Calls go to one member and
  // fail over to the next when it does not answer.
  std::vector<std::string> endpoints = {"http://127.0.0.1:2379"};
  // Every key starts with "<prefix>/<service_name>/". Several services can
  // share a cluster under different prefixes or names.
  std::string prefix = "/wal";
  std::string service_name = "wal";
  // Used when an https endpoint is given.
  EtcdTlsOptions tls;
  // etcd's own authentication; empty user name: none.
  std::string username;
  std::string password;

  // One attempt on one member. A member that does not answer in time is
  // left for the next one.
  std::chrono::milliseconds request_timeout{2000};
  // How long a call keeps retrying across members before it fails with
  // kIOError. Nothing is acknowledged after a failure; a persist that failed
  // may still have landed, and its retry then reports a duplicate.
  std::chrono::milliseconds operation_timeout{10000};

  // A checkpoint folds a client's logs into its state once it has this many.
  uint32_t checkpoint_threshold = 100;
  // Largest accepted record (the serialised JSON). A persist transaction
  // carries the record twice (once per branch), and etcd refuses requests
  // above --max-request-bytes (1.5 MiB by default), hence 512 KiB.
  size_t max_record_bytes = 512u << 10;
  // The server's --max-txn-ops and --max-request-bytes: group commit keeps
  // each transaction within them. Lower them, never raise them above the
  // server's settings.
  uint32_t max_txn_ops = 128;
  size_t max_request_bytes = (3u << 20) / 2;
  // Persist transactions in flight at once. More than one lets a batch go
  // while the previous one waits for its Raft commit, which pays when the
  // members are far away; on one busy machine fewer, larger transactions
  // cost less CPU and 1 measured best (docs/DISTRIBUTED.md).
  uint32_t max_concurrent_txns = 1;

  // Every interval, etcd's history is compacted up to the revision seen one
  // interval before, so that it does not grow without bound. Zero disables
  // it (for clusters started with --auto-compaction-retention).
  std::chrono::milliseconds compaction_interval{std::chrono::minutes(5)};

  // Told of problems that do not fail a call: a checkpoint or compaction
  // that failed and will be retried. When empty, they go to stderr.
  std::function<void(const Status&)> on_warning;

  // kHighWaterMark (the default) or kExact, as for the local layouts
  // (wal/dedup_policy.h). The service records kExact in its ".dedup" key
  // before its first message, and open() refuses the other policy. Under
  // kExact the window and the gap limit are applied when a checkpoint
  // settles the client's ids, not at each persist: until then late ids
  // beyond them are still written. docs/DISTRIBUTED.md has the key layout.
  DedupOptions dedup;

  // open() refuses a service that an unfinished import marks (see
  // begin_import) unless this is set: only the import itself opens it.
  bool open_unfinished_import = false;
};

class EtcdPersistence final : public DataPersistence {
 public:
  // Connects and checks that a member answers. Fails with kInvalidArgument
  // for bad options, kIOError when no member answers within
  // operation_timeout, and with the server's reason when authentication fails.
  static Result<std::unique_ptr<EtcdPersistence>> open(
      std::shared_ptr<StateInterpreter> state_interpreter, EtcdOptions options);

  ~EtcdPersistence() override;

  // kNoSpace when etcd has raised its NOSPACE alarm (its quota is full):
  // nothing was written; reads still work.
  Result<PersistOutcome> persist(std::string_view client_id, const Json& data,
                                 uint64_t message_id) override;
  // The messages share transactions as concurrent persists do.
  Result<std::vector<PersistOutcome>> persist_batch(
      const std::vector<PersistRequest>& batch) override;
  Result<Json> retrieve(std::string_view client_id) override;
  Status clear(std::string_view client_id) override;
  Result<std::vector<ClientSummary>> clients() override;

  // Folds the client's logs into a checkpoint now (normally done in the
  // background once checkpoint_threshold logs have accumulated).
  Status checkpoint(std::string_view client_id);
  // Compacts etcd's history up to its current revision now.
  Status compact();

  // Imports (walctl convert) fill a service with import_state between
  // begin_import and finish_import. begin_import puts the key
  // "<prefix>/<service>/.import" holding `source`; every open() of the
  // service then fails with kInvalidArgument until finish_import removes it,
  // so a service an interrupted import filled in part never looks complete.
  // begin_import refuses a service holding clients (kInvalidArgument) unless
  // it carries that key, and then deletes everything of the service first:
  // an interrupted import starts over.
  Status begin_import(std::string_view source);
  Status finish_import();

  // Records `state` (the interpreter's merged state) as the whole history of
  // a client that has nothing recorded, with `max_message_id` as its dedup
  // mark: a checkpoint and the client's "max" key, as a checkpoint leaves
  // them (walctl convert); under kExact every id up to the mark is then a
  // duplicate. kInvalidArgument when the client has something recorded.
  Status import_state(std::string_view client_id, const Json& state, uint64_t max_message_id);

  // The dedup policy a service was written with: kHighWaterMark when it
  // records none (or holds nothing yet).
  static Result<DedupPolicy> stored_dedup_policy(const EtcdOptions& options);

  class Impl;

 private:
  explicit EtcdPersistence(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wal
