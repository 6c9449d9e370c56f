// EtcdPersistence on walbench's 3-member cluster (etcd_cluster_setup.h),
// with the same interpreter as our other engines. At close it tells on
// stderr how many messages each etcd revision carried: group commit at work.
#include <wal/consumer_state_interpreter.h>
#include <wal/etcd_persistence.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "etcd_cluster_setup.h"
#include "persistence_engine.h"

namespace walbench {
namespace {

class EtcdEngine final : public PersistenceEngine {
 public:
  explicit EtcdEngine(wal::DedupPolicy dedup)
      : dedup_(dedup),
        name_(dedup == wal::DedupPolicy::kExact ? "etcd-3node-exact" : "etcd-3node") {}

  void open(const std::string& dir, Durability durability) override {
    // etcd syncs every commit; there is no unsynced mode to load an image with.
    if (durability != Durability::kEachCall) throw EngineError(name_ + ": always durable");
    wal::EtcdOptions options;
    options.endpoints = etcd_endpoints();
    options.prefix = etcd_prefix(dir);
    options.service_name = "walbench";
    options.dedup.policy = dedup_;
    // For experiments (docs/DISTRIBUTED.md, "Performance"); the figures use the default.
    if (const char* in_flight = std::getenv("WALBENCH_ETCD_CONCURRENT_TXNS")) {
      options.max_concurrent_txns = static_cast<uint32_t>(std::atoi(in_flight));
    }
    auto log =
        wal::EtcdPersistence::open(std::make_shared<wal::ConsumerStateInterpreter>(), options);
    if (!log.is_ok()) throw EngineError("open: " + log.status().to_string());
    set_persistence(std::move(*log));
    first_revision_ = etcd_revision();
  }

  bool persist(const Call& call) override {
    ++calls_;
    return PersistenceEngine::persist(call);
  }

  void close() override {
    PersistenceEngine::close();  // its background checkpoints finish first
    const int64_t revisions = etcd_revision() - first_revision_;
    if (calls_ > 0 && revisions > 0 && first_revision_ >= 0) {
      std::fprintf(stderr,
                   "%s: %llu persists in %lld etcd revisions (%.1f per revision, "
                   "checkpoints included)\n",
                   name_.c_str(), static_cast<unsigned long long>(calls_.load()),
                   static_cast<long long>(revisions),
                   static_cast<double>(calls_) / static_cast<double>(revisions));
    }
  }

 private:
  const wal::DedupPolicy dedup_;
  const std::string name_;
  int64_t first_revision_ = -1;
  std::atomic<uint64_t> calls_{0};
};

}  // namespace

std::unique_ptr<Engine> make_etcd_engine(wal::DedupPolicy dedup) {
  return std::make_unique<EtcdEngine>(dedup);
}

}  // namespace walbench
