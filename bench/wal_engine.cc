// Our WriteAheadLog, in the segmented or the seed layout, with the original
// service's ConsumerStateInterpreter: the configuration walctl runs. The
// exact dedup policy runs as its own engine, to show its cost beside the
// default in the same run.
#include <wal/consumer_state_interpreter.h>
#include <wal/file_system_storage.h>
#include <wal/write_ahead_log.h>

#include "engine.h"

namespace walbench {
namespace {

class WalEngine final : public Engine {
 public:
  WalEngine(bool segmented, wal::DedupPolicy dedup) : segmented_(segmented), dedup_(dedup) {}

  void open(const std::string& dir, Durability durability) override {
    wal::WriteAheadLogOptions options;
    options.service_name = "walbench";
    options.base_dir = dir;
    options.layout = segmented_ ? wal::Layout::kSegmented : wal::Layout::kSeed;
    options.dedup.policy = dedup_;
    // The seed layout has no sync policy: it syncs every write whatever this says.
    options.segmented.sync_policy =
        durability == Durability::kEachCall ? wal::SyncPolicy::kAlways : wal::SyncPolicy::kNone;
    auto log = wal::WriteAheadLog::open(std::make_shared<wal::ConsumerStateInterpreter>(),
                                        std::make_shared<wal::FileSystemStorage>(), options);
    if (!log.is_ok()) throw EngineError("open: " + log.status().to_string());
    log_ = std::move(*log);
  }

  bool persist(const Call& call) override {
    // Building the Json argument is part of what a caller of our API pays.
    auto outcome = log_->persist(*call.client, to_json(call), call.id);
    if (!outcome.is_ok()) throw EngineError("persist: " + outcome.status().to_string());
    return *outcome == wal::PersistOutcome::kWritten;
  }

  size_t persist_batch(std::span<const Call> calls) override {
    std::vector<wal::PersistRequest> batch;
    batch.reserve(calls.size());
    for (const Call& call : calls) batch.push_back({*call.client, to_json(call), call.id});
    auto outcomes = log_->persist_batch(batch);
    if (!outcomes.is_ok()) throw EngineError("persist_batch: " + outcomes.status().to_string());
    size_t written = 0;
    for (auto outcome : *outcomes) written += outcome == wal::PersistOutcome::kWritten;
    return written;
  }

  std::string merged_content(const std::string& client) override {
    auto state = log_->retrieve(client);
    if (!state.is_ok()) throw EngineError("retrieve: " + state.status().to_string());
    const auto content = state->find("content");
    if (content == state->end() || !content->is_string()) {
      throw EngineError("retrieve: no content string for " + client);
    }
    return content->get<std::string>();
  }

  void close() override { log_.reset(); }

 private:
  static wal::Json to_json(const Call& call) {
    wal::Json data = wal::Json::object();
    data["content"] = std::string(call.content);
    return data;
  }

  const bool segmented_;
  const wal::DedupPolicy dedup_;
  std::unique_ptr<wal::WriteAheadLog> log_;
};

}  // namespace

std::unique_ptr<Engine> make_wal_engine(bool segmented, wal::DedupPolicy dedup) {
  return std::make_unique<WalEngine>(segmented, dedup);
}

}  // namespace walbench
