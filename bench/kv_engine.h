// RocksDB and LevelDB share one engine, written once over their nearly equal
// APIs: the dedup check is a Get of the client's highest id, then one
// WriteBatch with the log entry and the new highest id, written with
// sync=true. Both group-commit concurrent writers (one log write and one sync
// for the group), so several threads write at once.
#pragma once

#include <map>
#include <memory>

#include "engine.h"
#include "files.h"
#include "kv_keys.h"
#include "workload.h"

namespace walbench {

// Db names the library's types: DB, Options, ReadOptions, WriteOptions,
// WriteBatch, Slice, Iterator, and a static close(DB*).
template <typename Db>
class KeyValueEngine final : public Engine {
 public:
  ~KeyValueEngine() override { close(); }

  void open(const std::string& dir, Durability durability) override {
    make_dirs(dir);
    typename Db::Options options;
    options.create_if_missing = true;
    typename Db::DB* db = nullptr;
    const auto status = Db::DB::Open(options, dir, &db);
    if (!status.ok()) throw EngineError(std::string(Db::kName) + " open: " + status.ToString());
    db_ = db;
    write_options_.sync = durability == Durability::kEachCall;
  }

  bool persist(const Call& call) override {
    if (stored_highest_id(*call.client) >= call.id) return false;
    typename Db::WriteBatch batch;
    add(batch, call);
    write(batch);
    return true;
  }

  size_t persist_batch(std::span<const Call> calls) override {
    // Ids accepted earlier in this batch count for dedup too.
    std::map<const std::string*, uint64_t> highest_in_batch;
    typename Db::WriteBatch batch;
    size_t written = 0;
    for (const Call& call : calls) {
      auto [highest, inserted] = highest_in_batch.try_emplace(call.client, 0);
      if (inserted) highest->second = stored_highest_id(*call.client);
      if (highest->second >= call.id) continue;
      highest->second = call.id;
      add(batch, call);
      ++written;
    }
    write(batch);
    return written;
  }

  std::string merged_content(const std::string& client) override {
    const std::string prefix = log_prefix(client);
    std::unique_ptr<typename Db::Iterator> it(db_->NewIterator(typename Db::ReadOptions()));
    std::string merged;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      merge_payload(merged, std::string_view(it->value().data(), it->value().size()));
    }
    if (!it->status().ok()) throw EngineError(std::string(Db::kName) + " iterate failed");
    return finish_merge(std::move(merged));
  }

  void close() override {
    if (db_ != nullptr) Db::close(db_);
    db_ = nullptr;
  }

 private:
  uint64_t stored_highest_id(const std::string& client) {
    std::string value;
    const auto status = db_->Get(typename Db::ReadOptions(), highest_id_key(client), &value);
    if (status.IsNotFound()) return 0;
    if (!status.ok()) throw EngineError(std::string(Db::kName) + " get: " + status.ToString());
    return decode_id(value);
  }

  static void add(typename Db::WriteBatch& batch, const Call& call) {
    batch.Put(log_key(*call.client, call.id),
              typename Db::Slice(call.payload.data(), call.payload.size()));
    batch.Put(highest_id_key(*call.client), encode_id(call.id));
  }

  void write(typename Db::WriteBatch& batch) {
    const auto status = db_->Write(write_options_, &batch);
    if (!status.ok()) throw EngineError(std::string(Db::kName) + " write: " + status.ToString());
  }

  typename Db::DB* db_ = nullptr;
  typename Db::WriteOptions write_options_;
};

}  // namespace walbench
