// The bare-etcd baseline: one gRPC Put per message on the same cluster, and
// nothing else. The dedup check is a lookup in memory (the highest ids are
// read back with one range at open), so the figure is what etcd itself does
// per write on this machine right now, for EtcdPersistence to be set against.
#include <map>
#include <mutex>

#include "engine.h"
#include "etcd/etcd_client.h"
#include "etcd/key_layout.h"
#include "etcd_cluster_setup.h"
#include "workload.h"

namespace walbench {
namespace {

namespace pb = wal::etcd::pb;

class EtcdBareEngine final : public Engine {
 public:
  void open(const std::string& dir, Durability durability) override {
    if (durability != Durability::kEachCall) throw EngineError("etcd-3node-bare: always durable");
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
    pb::PutRequest put;
    put.set_key(key_prefix(*call.client) + wal::etcd::pad_id(call.id));
    put.set_value(std::string(call.payload));
    auto response = client_->put(put);
    if (!response.is_ok()) throw EngineError("put: " + response.status().to_string());
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
    const pb::RangeResponse range = read_range(key_prefix(client), /*keys_only=*/false);
    for (const auto& kv : range.kvs()) merge_payload(merged, kv.value());
    return finish_merge(std::move(merged));
  }

  void close() override { client_.reset(); }

 private:
  std::string key_prefix(const std::string& client) const { return prefix_ + client + "/"; }

  pb::RangeResponse read_range(const std::string& prefix, bool keys_only) {
    pb::RangeRequest range;
    range.set_key(prefix);
    range.set_range_end(wal::etcd::prefix_end(prefix));
    range.set_keys_only(keys_only);
    auto response = client_->range(range);
    if (!response.is_ok()) throw EngineError("range: " + response.status().to_string());
    return std::move(*response);
  }

  // Keys are <prefix><client>/<padded id>, so the last key of a client holds its highest id.
  void load_highest_ids() {
    const pb::RangeResponse range = read_range(prefix_, /*keys_only=*/true);
    for (const auto& kv : range.kvs()) {
      const std::string& key = kv.key();
      const size_t slash = key.rfind('/');
      highest_[key.substr(prefix_.size(), slash - prefix_.size())] =
          std::stoull(key.substr(slash + 1));
    }
  }

  std::unique_ptr<wal::etcd::EtcdClient> client_;
  std::string prefix_;
  std::mutex mutex_;
  std::map<std::string, uint64_t> highest_;
};

}  // namespace

std::unique_ptr<Engine> make_etcd_bare_engine() { return std::make_unique<EtcdBareEngine>(); }

}  // namespace walbench
