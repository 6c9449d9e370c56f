// LevelDB 1.23 with default options and WriteOptions::sync = true.
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include "kv_engine.h"

namespace walbench {
namespace {

struct LevelDb {
  static constexpr const char* kName = "leveldb";
  using DB = leveldb::DB;
  using Options = leveldb::Options;
  using ReadOptions = leveldb::ReadOptions;
  using WriteOptions = leveldb::WriteOptions;
  using WriteBatch = leveldb::WriteBatch;
  using Slice = leveldb::Slice;
  using Iterator = leveldb::Iterator;
  static void close(DB* db) { delete db; }  // closing is deleting
};

}  // namespace

std::unique_ptr<Engine> make_leveldb_engine() {
  return std::make_unique<KeyValueEngine<LevelDb>>();
}

}  // namespace walbench
