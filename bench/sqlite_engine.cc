// SQLite in WAL mode with synchronous=FULL: one transaction per persist
// (dedup check, log row, highest-id upsert) or per batch. SQLite has one
// writer at a time and no group commit, so concurrent callers take turns.
#include <sqlite3.h>

#include <mutex>

#include "engine.h"
#include "files.h"
#include "workload.h"

namespace walbench {
namespace {

class SqliteEngine final : public Engine {
 public:
  ~SqliteEngine() override { release(); }

  void open(const std::string& dir, Durability durability) override {
    make_dirs(dir);
    const std::string path = dir + "/state.db";
    const int rc =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) throw EngineError("sqlite open: " + std::string(sqlite3_errstr(rc)));
    exec("PRAGMA journal_mode=WAL");
    exec(durability == Durability::kEachCall ? "PRAGMA synchronous=FULL"
                                             : "PRAGMA synchronous=OFF");
    exec(
        "CREATE TABLE IF NOT EXISTS clients(client_id TEXT PRIMARY KEY, max_msg INTEGER NOT NULL) "
        "WITHOUT ROWID");
    exec(
        "CREATE TABLE IF NOT EXISTS log(client_id TEXT NOT NULL, msg_id INTEGER NOT NULL, "
        "data TEXT NOT NULL, PRIMARY KEY(client_id, msg_id)) WITHOUT ROWID");
    begin_ = prepare("BEGIN IMMEDIATE");
    commit_ = prepare("COMMIT");
    highest_id_ = prepare("SELECT max_msg FROM clients WHERE client_id=?1");
    insert_log_ = prepare("INSERT INTO log(client_id, msg_id, data) VALUES(?1, ?2, ?3)");
    set_highest_id_ = prepare(
        "INSERT INTO clients(client_id, max_msg) VALUES(?1, ?2) "
        "ON CONFLICT(client_id) DO UPDATE SET max_msg=excluded.max_msg");
    read_log_ = prepare("SELECT data FROM log WHERE client_id=?1 ORDER BY msg_id");
  }

  bool persist(const Call& call) override {
    std::lock_guard lock(writer_);
    step(begin_);
    const bool written = insert_unless_duplicate(call);
    step(commit_);  // a read-only transaction commits without a sync
    return written;
  }

  size_t persist_batch(std::span<const Call> calls) override {
    std::lock_guard lock(writer_);
    step(begin_);
    size_t written = 0;
    for (const Call& call : calls) written += insert_unless_duplicate(call);
    step(commit_);
    return written;
  }

  std::string merged_content(const std::string& client) override {
    bind_text(read_log_, 1, client);
    std::string merged;
    int rc;
    while ((rc = sqlite3_step(read_log_)) == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(read_log_, 0));
      const auto length = static_cast<size_t>(sqlite3_column_bytes(read_log_, 0));
      merge_payload(merged, std::string_view(text, length));
    }
    sqlite3_reset(read_log_);
    if (rc != SQLITE_DONE) throw EngineError("sqlite read: " + std::string(sqlite3_errmsg(db_)));
    return finish_merge(std::move(merged));
  }

  void close() override { release(); }

 private:
  bool insert_unless_duplicate(const Call& call) {
    bind_text(highest_id_, 1, *call.client);
    const int rc = sqlite3_step(highest_id_);
    bool duplicate = false;
    if (rc == SQLITE_ROW) {
      duplicate = static_cast<uint64_t>(sqlite3_column_int64(highest_id_, 0)) >= call.id;
    } else if (rc != SQLITE_DONE) {
      throw EngineError("sqlite select: " + std::string(sqlite3_errmsg(db_)));
    }
    sqlite3_reset(highest_id_);
    if (duplicate) return false;
    bind_text(insert_log_, 1, *call.client);
    sqlite3_bind_int64(insert_log_, 2, static_cast<sqlite3_int64>(call.id));
    bind_text(insert_log_, 3, call.payload);
    step(insert_log_);
    bind_text(set_highest_id_, 1, *call.client);
    sqlite3_bind_int64(set_highest_id_, 2, static_cast<sqlite3_int64>(call.id));
    step(set_highest_id_);
    return true;
  }

  static void bind_text(sqlite3_stmt* statement, int index, std::string_view text) {
    sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  }

  void exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string message = error ? error : "?";
      sqlite3_free(error);
      throw EngineError(std::string("sqlite '") + sql + "': " + message);
    }
  }

  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &statement, nullptr) != SQLITE_OK) {
      throw EngineError(std::string("sqlite prepare '") + sql + "': " + sqlite3_errmsg(db_));
    }
    return statement;
  }

  void step(sqlite3_stmt* statement) {
    const int rc = sqlite3_step(statement);
    sqlite3_reset(statement);
    if (rc != SQLITE_DONE) throw EngineError("sqlite step: " + std::string(sqlite3_errmsg(db_)));
  }

  void release() {
    for (sqlite3_stmt** statement :
         {&begin_, &commit_, &highest_id_, &insert_log_, &set_highest_id_, &read_log_}) {
      sqlite3_finalize(*statement);
      *statement = nullptr;
    }
    sqlite3_close(db_);
    db_ = nullptr;
  }

  std::mutex writer_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* highest_id_ = nullptr;
  sqlite3_stmt* insert_log_ = nullptr;
  sqlite3_stmt* set_highest_id_ = nullptr;
  sqlite3_stmt* read_log_ = nullptr;
};

}  // namespace

std::unique_ptr<Engine> make_sqlite_engine() { return std::make_unique<SqliteEngine>(); }

}  // namespace walbench
