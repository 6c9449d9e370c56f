// The bare-etcd baselines, on the same cluster as etcd-3node:
//   etcd-3node-bare: one gRPC Put per message, nothing else;
//   etcd-3node-txn:  per message, the very transaction EtcdPersistence sends
//                    (build_persist_txn), without its record encoding,
//                    group commit, checkpoints or outcome handling.
// The dedup check is a lookup in memory (the highest ids are read back with
// one range at open), so the first is what etcd itself does per write on
// this machine right now, and the second what our transaction's shape costs
// etcd: EtcdPersistence is set against both.
#include <map>
#include <mutex>

#include "engine.h"
#include "etcd/etcd_client.h"
#include "etcd/key_layout.h"
#include "etcd/persist_txn.h"
#include "etcd_cluster_setup.h"
#include "workload.h"

namespace walbench {
namespace {

namespace pb = wal::etcd::pb;
using wal::etcd::KeyLayout;

class EtcdBareEngine final : public Engine {
 public:
  explicit EtcdBareEngine(bool persist_txn) : persist_txn_(persist_txn) {}

  void open(const std::string& dir, Durability durability) override {
    if (durability != Durability::kEachCall) throw EngineError("etcd baselines: always durable");
    wal::EtcdOptions options;
    options.endpoints = etcd_endpoints();
    auto client = wal::etcd::EtcdClient::connect(options);
    if (!client.is_ok()) throw EngineError("connect: " + client.status().to_string());
    client_ = std::move(*client);
    prefix_ = etcd_prefix(dir) + "/";
    load_highest_ids();
  }

  bool persist(const Call& call) override {
    {
      std::lock_guard lock(mutex_);
      if (highest_[*call.client] >= call.id) return false;
    }
    if (persist_txn_) {
      send_persist_txn(call);
    } else {
      pb::PutRequest put;
      put.set_key(KeyLayout::log_key(client_prefix(*call.client), call.id));
      put.set_value(std::string(call.payload));
      auto response = client_->put(put);
      if (!response.is_ok()) throw EngineError("put: " + response.status().to_string());
    }
    std::lock_guard lock(mutex_);
    highest_[*call.client] = call.id;  // calls for one client never overlap
    return true;
  }

  size_t persist_batch(std::span<const Call> calls) override {
    size_t written = 0;
    for (const Call& call : calls) written += persist(call);
    return written;
  }

  std::string merged_content(const std::string& client) override {
    std::string merged;
    const pb::RangeResponse range = read_range(KeyLayout::log_prefix(client_prefix(client)));
    for (const auto& kv : range.kvs()) merge_payload(merged, kv.value());
    return finish_merge(std::move(merged));
  }

  void close() override { client_.reset(); }

 private:
  std::string client_prefix(const std::string& client) const { return prefix_ + client + "/"; }

  void send_persist_txn(const Call& call) {
    const std::string payload(call.payload);
    wal::etcd::ClientWrite write;
    write.client_prefix = client_prefix(*call.client);
    write.token = "bare";
    write.ids = {call.id};
    write.records = {&payload};
    auto response = client_->txn(wal::etcd::build_persist_txn({write}, {}, prefix_ + ".batch",
                                                              wal::DedupPolicy::kHighWaterMark));
    if (!response.is_ok()) throw EngineError("txn: " + response.status().to_string());
  }

  pb::RangeResponse read_range(const std::string& prefix) {
    pb::RangeRequest range;
    range.set_key(prefix);
    range.set_range_end(wal::etcd::prefix_end(prefix));
    auto response = client_->range(range);
    if (!response.is_ok()) throw EngineError("range: " + response.status().to_string());
    return std::move(*response);
  }

  // Log keys end in "/<padded id>" and sort by it, so a client's last one holds its highest id.
  void load_highest_ids() {
    const pb::RangeResponse range = read_range(prefix_);
    for (const auto& kv : range.kvs()) {
      const std::string& key = kv.key();
      const auto id = wal::etcd::parse_padded_id(key.substr(key.rfind('/') + 1));
      if (!id) continue;  // "max", the batch key
      const std::string client =
          key.substr(prefix_.size(), key.find('/', prefix_.size()) - prefix_.size());
      highest_[client] = *id;
    }
  }

  const bool persist_txn_;
  std::unique_ptr<wal::etcd::EtcdClient> client_;
  std::string prefix_;
  std::mutex mutex_;
  std::map<std::string, uint64_t> highest_;
};

}  // namespace

std::unique_ptr<Engine> make_etcd_bare_engine(bool persist_txn) {
  return std::make_unique<EtcdBareEngine>(persist_txn);
}

}  // namespace walbench
