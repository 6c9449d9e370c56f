// RocksDB 7 with default options and WriteOptions::sync = true.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "kv_engine.h"

namespace walbench {
namespace {

struct RocksDb {
  static constexpr const char* kName = "rocksdb";
  using DB = rocksdb::DB;
  using Options = rocksdb::Options;
  using ReadOptions = rocksdb::ReadOptions;
  using WriteOptions = rocksdb::WriteOptions;
  using WriteBatch = rocksdb::WriteBatch;
  using Slice = rocksdb::Slice;
  using Iterator = rocksdb::Iterator;
  static void close(DB* db) {
    db->Close().PermitUncheckedError();
    delete db;
  }
};

}  // namespace

std::unique_ptr<Engine> make_rocksdb_engine() {
  return std::make_unique<KeyValueEngine<RocksDb>>();
}

}  // namespace walbench
