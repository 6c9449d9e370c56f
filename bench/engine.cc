#include "engine.h"

#include <algorithm>

namespace walbench {

const std::vector<std::string>& engine_names() {
  static const std::vector<std::string> names = {"wal-segmented",   "wal-segmented-exact",
                                                 "wal-seed",        "wal-seed-exact",
                                                 "sqlite",          "rocksdb",
                                                 "leveldb",         "raw",
                                                 "etcd-3node",      "etcd-3node-exact",
                                                 "etcd-3node-bare", "etcd-3node-txn"};
  return names;
}

const std::vector<std::string>& default_engine_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> local;
    std::copy_if(engine_names().begin(), engine_names().end(), std::back_inserter(local),
                 [](const std::string& name) {
                   // The seed layout's exact variant is slow and adds little: only when named.
                   return !is_etcd_engine(name) && name != "wal-seed-exact";
                 });
    return local;
  }();
  return names;
}

bool is_etcd_engine(const std::string& name) { return name.starts_with("etcd-"); }

std::string high_water_mark_variant(const std::string& name) {
  constexpr std::string_view kSuffix = "-exact";
  return name.ends_with(kSuffix) ? name.substr(0, name.size() - kSuffix.size()) : std::string();
}

bool etcd_engines_built() {
#ifdef WALBENCH_WITH_ETCD
  return true;
#else
  return false;
#endif
}

std::unique_ptr<Engine> make_engine(const std::string& name) {
  if (name == "wal-segmented") return make_wal_engine(true, wal::DedupPolicy::kHighWaterMark);
  if (name == "wal-segmented-exact") return make_wal_engine(true, wal::DedupPolicy::kExact);
  if (name == "wal-seed") return make_wal_engine(false, wal::DedupPolicy::kHighWaterMark);
  if (name == "wal-seed-exact") return make_wal_engine(false, wal::DedupPolicy::kExact);
  if (name == "sqlite") return make_sqlite_engine();
  if (name == "rocksdb") return make_rocksdb_engine();
  if (name == "leveldb") return make_leveldb_engine();
  if (name == "raw") return make_raw_engine();
#ifdef WALBENCH_WITH_ETCD
  if (name == "etcd-3node") return make_etcd_engine(wal::DedupPolicy::kHighWaterMark);
  if (name == "etcd-3node-exact") return make_etcd_engine(wal::DedupPolicy::kExact);
  if (name == "etcd-3node-bare") return make_etcd_bare_engine(/*persist_txn=*/false);
  if (name == "etcd-3node-txn") return make_etcd_bare_engine(/*persist_txn=*/true);
#endif
  if (is_etcd_engine(name)) {
    throw EngineError(name + ": this walbench was built without etcd support (WAL_BUILD_ETCD=OFF)");
  }
  throw EngineError("unknown engine " + name);
}

}  // namespace walbench
