#include "engine.h"

namespace walbench {

const std::vector<std::string>& engine_names() {
  static const std::vector<std::string> names = {
      "wal-segmented", "wal-segmented-exact", "wal-seed", "sqlite", "rocksdb", "leveldb", "raw"};
  return names;
}

std::unique_ptr<Engine> make_engine(const std::string& name) {
  if (name == "wal-segmented") return make_wal_engine(true, wal::DedupPolicy::kHighWaterMark);
  if (name == "wal-segmented-exact") return make_wal_engine(true, wal::DedupPolicy::kExact);
  if (name == "wal-seed") return make_wal_engine(false, wal::DedupPolicy::kHighWaterMark);
  if (name == "sqlite") return make_sqlite_engine();
  if (name == "rocksdb") return make_rocksdb_engine();
  if (name == "leveldb") return make_leveldb_engine();
  if (name == "raw") return make_raw_engine();
  throw EngineError("unknown engine " + name);
}

}  // namespace walbench
