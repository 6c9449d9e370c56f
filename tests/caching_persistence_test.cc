// CachingPersistence: a bounded LRU of merged states that is never stale.
#include <atomic>
#include <future>
#include <thread>

#include "test_util.h"
#include "wal/caching_persistence.h"
#include "wal/in_memory_persistence.h"
#include "wal/list_state_interpreter.h"

namespace wal::testing {
namespace {

// An InMemoryPersistence whose next calls can be made to fail, before or
// after they took effect (as a write whose sync fails may have).
class FlakyPersistence final : public DataPersistence {
 public:
  FlakyPersistence() : inner_(std::make_shared<ListStateInterpreter>()) {}

  Result<PersistOutcome> persist(std::string_view client_id, const Json& data,
                                 uint64_t message_id) override {
    if (fail_persist_before_) {
      fail_persist_before_ = false;
      return Status::io_error("write", "flaky", EIO);
    }
    auto outcome = inner_.persist(client_id, data, message_id);
    if (fail_persist_after_) {
      fail_persist_after_ = false;
      return Status::io_error("fsync", "flaky", EIO);
    }
    return outcome;
  }
  Result<std::vector<PersistOutcome>> persist_batch(
      const std::vector<PersistRequest>& batch) override {
    auto outcomes = inner_.persist_batch(batch);
    if (fail_persist_after_) {
      fail_persist_after_ = false;
      return Status::io_error("fsync", "flaky", EIO);
    }
    return outcomes;
  }
  Result<Json> retrieve(std::string_view client_id) override {
    ++retrieves_;
    if (fail_retrieve_) {
      fail_retrieve_ = false;
      return Status::io_error("read", "flaky", EIO);
    }
    return inner_.retrieve(client_id);
  }
  Status clear(std::string_view client_id) override {
    Status cleared = inner_.clear(client_id);
    if (fail_clear_after_) {
      fail_clear_after_ = false;
      return Status::io_error("fsync", "flaky", EIO);
    }
    return cleared;
  }
  Result<std::vector<ClientSummary>> clients() override { return inner_.clients(); }

  bool fail_persist_before_ = false;
  bool fail_persist_after_ = false;
  bool fail_retrieve_ = false;
  bool fail_clear_after_ = false;
  int retrieves_ = 0;

 private:
  InMemoryPersistence inner_;
};

Json list_of(std::vector<Json> items) {
  Json state = Json::object();
  state["messages"] = Json(std::move(items));
  return state;
}

class CachingPersistenceTest : public ::testing::Test {
 protected:
  std::shared_ptr<FlakyPersistence> inner_ = std::make_shared<FlakyPersistence>();
  CachingPersistence cache_{inner_, 3};
};

TEST_F(CachingPersistenceTest, SecondRetrieveIsAHit) {
  ASSERT_TRUE(cache_.persist("c", Json(1), 1).is_ok());
  EXPECT_EQ(*cache_.retrieve("c"), list_of({1}));
  EXPECT_EQ(*cache_.retrieve("c"), list_of({1}));
  EXPECT_EQ(inner_->retrieves_, 1);
  EXPECT_EQ(cache_.stats().hits, 1u);
  EXPECT_EQ(cache_.stats().misses, 1u);
  EXPECT_EQ(cache_.stats().size, 1u);
}

TEST_F(CachingPersistenceTest, RetrieveAfterPersistIsNeverStale) {
  for (uint64_t id = 1; id <= 10; ++id) {
    ASSERT_EQ(*cache_.persist("c", Json(id), id), PersistOutcome::kWritten);
    const Json state = *cache_.retrieve("c");
    EXPECT_EQ(state["messages"].size(), id);
    EXPECT_EQ(state["messages"].back(), id);
    EXPECT_EQ(*cache_.retrieve("c"), state);  // now a hit, the same
  }
}

TEST_F(CachingPersistenceTest, RetrieveAfterClearIsNeverStale) {
  ASSERT_TRUE(cache_.persist("c", Json(1), 1).is_ok());
  ASSERT_EQ(*cache_.retrieve("c"), list_of({1}));
  ASSERT_TRUE(cache_.clear("c").is_ok());
  EXPECT_EQ(*cache_.retrieve("c"), list_of({}));
}

TEST_F(CachingPersistenceTest, DuplicateKeepsTheCachedState) {
  ASSERT_TRUE(cache_.persist("c", Json(1), 1).is_ok());
  ASSERT_EQ(*cache_.retrieve("c"), list_of({1}));
  ASSERT_EQ(*cache_.persist("c", Json(1), 1), PersistOutcome::kDuplicate);
  EXPECT_EQ(*cache_.retrieve("c"), list_of({1}));
  EXPECT_EQ(inner_->retrieves_, 1);
}

TEST_F(CachingPersistenceTest, PersistThatFailedAfterRecordingDoesNotLeaveTheOldState) {
  ASSERT_TRUE(cache_.persist("c", Json(1), 1).is_ok());
  ASSERT_EQ(*cache_.retrieve("c"), list_of({1}));
  inner_->fail_persist_after_ = true;
  ASSERT_FALSE(cache_.persist("c", Json(2), 2).is_ok());
  EXPECT_EQ(*cache_.retrieve("c"), list_of({1, 2}));
}

TEST_F(CachingPersistenceTest, RetrieveAfterPersistBatchIsNeverStale) {
  ASSERT_TRUE(cache_.persist("a", Json(1), 1).is_ok());
  ASSERT_TRUE(cache_.persist("b", Json(1), 1).is_ok());
  ASSERT_EQ(*cache_.retrieve("a"), list_of({1}));
  ASSERT_EQ(*cache_.retrieve("b"), list_of({1}));
  auto outcomes = cache_.persist_batch({{"a", Json(2), 2}, {"b", Json(1), 1}});
  ASSERT_TRUE(outcomes.is_ok());
  EXPECT_EQ(*outcomes, (std::vector{PersistOutcome::kWritten, PersistOutcome::kDuplicate}));
  EXPECT_EQ(*cache_.retrieve("a"), list_of({1, 2}));
  EXPECT_EQ(*cache_.retrieve("b"), list_of({1}));
  EXPECT_EQ(inner_->retrieves_, 3);  // "b" stayed cached: its message was a duplicate
}

TEST_F(CachingPersistenceTest, PersistBatchThatFailedAfterRecordingDoesNotLeaveTheOldState) {
  ASSERT_TRUE(cache_.persist("c", Json(1), 1).is_ok());
  ASSERT_EQ(*cache_.retrieve("c"), list_of({1}));
  inner_->fail_persist_after_ = true;
  ASSERT_FALSE(cache_.persist_batch({{"c", Json(2), 2}}).is_ok());
  EXPECT_EQ(*cache_.retrieve("c"), list_of({1, 2}));
}

TEST_F(CachingPersistenceTest, PersistThatFailedBeforeRecordingLeavesTheCacheWorking) {
  ASSERT_TRUE(cache_.persist("c", Json(1), 1).is_ok());
  ASSERT_EQ(*cache_.retrieve("c"), list_of({1}));
  inner_->fail_persist_before_ = true;
  ASSERT_FALSE(cache_.persist("c", Json(2), 2).is_ok());
  EXPECT_EQ(*cache_.retrieve("c"), list_of({1}));
  ASSERT_EQ(*cache_.persist("c", Json(2), 2), PersistOutcome::kWritten);
  EXPECT_EQ(*cache_.retrieve("c"), list_of({1, 2}));
  EXPECT_EQ(*cache_.retrieve("c"), list_of({1, 2}));
}

TEST_F(CachingPersistenceTest, PersistRefusedForBadInputLeavesTheCacheWorking) {
  ASSERT_TRUE(cache_.persist("c", Json(1), 1).is_ok());
  EXPECT_EQ(cache_.persist("a/b", Json(2), 2).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(*cache_.retrieve("c"), list_of({1}));
  EXPECT_EQ(*cache_.retrieve("c"), list_of({1}));
  EXPECT_EQ(cache_.stats().hits, 1u);
}

TEST_F(CachingPersistenceTest, ClearThatFailedAfterClearingDoesNotLeaveTheOldState) {
  ASSERT_TRUE(cache_.persist("c", Json(1), 1).is_ok());
  ASSERT_EQ(*cache_.retrieve("c"), list_of({1}));
  inner_->fail_clear_after_ = true;
  ASSERT_FALSE(cache_.clear("c").is_ok());
  EXPECT_EQ(*cache_.retrieve("c"), list_of({}));
}

TEST_F(CachingPersistenceTest, FailedRetrieveIsNotCached) {
  ASSERT_TRUE(cache_.persist("c", Json(1), 1).is_ok());
  inner_->fail_retrieve_ = true;
  EXPECT_EQ(cache_.retrieve("c").status().code(), Code::kIOError);
  EXPECT_EQ(*cache_.retrieve("c"), list_of({1}));
  EXPECT_EQ(cache_.stats().size, 1u);
}

TEST_F(CachingPersistenceTest, EvictionKeepsAtMostCapacityAndDropsTheLeastRecentlyUsed) {
  for (const char* client : {"a", "b", "c"}) ASSERT_TRUE(cache_.retrieve(client).is_ok());
  ASSERT_TRUE(cache_.retrieve("a").is_ok());  // a is now the most recent; b the least
  ASSERT_TRUE(cache_.retrieve("d").is_ok());  // evicts b
  EXPECT_EQ(cache_.stats().size, 3u);
  EXPECT_EQ(cache_.stats().evictions, 1u);
  const uint64_t hits = cache_.stats().hits;
  for (const char* client : {"a", "c", "d"}) ASSERT_TRUE(cache_.retrieve(client).is_ok());
  EXPECT_EQ(cache_.stats().hits, hits + 3);
  ASSERT_TRUE(cache_.retrieve("b").is_ok());
  EXPECT_EQ(cache_.stats().hits, hits + 3);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(cache_.retrieve("client" + std::to_string(i)).is_ok());
    ASSERT_LE(cache_.stats().size, 3u);
  }
}

TEST(CachingPersistenceCapacityTest, CapacityZeroCachesNothing) {
  auto inner = std::make_shared<FlakyPersistence>();
  CachingPersistence cache(inner, 0);
  ASSERT_TRUE(cache.retrieve("c").is_ok());
  ASSERT_TRUE(cache.retrieve("c").is_ok());
  EXPECT_EQ(inner->retrieves_, 2);
  EXPECT_EQ(cache.stats().size, 0u);
}

TEST(CachingPersistenceOverLogTest, NeverStaleOverAWriteAheadLog) {
  TempDir dir;
  auto log = WriteAheadLog::open(std::make_shared<ListStateInterpreter>(),
                                 std::make_shared<FileSystemStorage>(), options_for(dir.path(), 2));
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  CachingPersistence cache(std::move(*log), 2);
  for (uint64_t id = 1; id <= 5; ++id) {
    ASSERT_EQ(*cache.persist("c", Json(id), id), PersistOutcome::kWritten);
    EXPECT_EQ((*cache.retrieve("c"))["messages"].back(), id);
  }
  ASSERT_TRUE(cache.clear("c").is_ok());
  EXPECT_EQ(*cache.retrieve("c"), list_of({}));
}

// A point where one call of an InMemoryPersistence stops until released.
class Gate {
 public:
  void arm() {
    armed_ = true;
    reached_ = {};
    release_ = {};
  }
  // Called inside the gated call: stops there once, when armed.
  void pass() {
    if (!armed_.exchange(false)) return;
    reached_.set_value();
    release_.get_future().wait();
  }
  void wait_reached() { reached_.get_future().wait(); }
  void release() { release_.set_value(); }

 private:
  std::atomic<bool> armed_{false};
  std::promise<void> reached_;
  std::promise<void> release_;
};

// Stops a retrieve after it has read, or a persist after it has written.
class GatedPersistence final : public DataPersistence {
 public:
  GatedPersistence() : inner_(std::make_shared<ListStateInterpreter>()) {}
  Result<PersistOutcome> persist(std::string_view client_id, const Json& data,
                                 uint64_t message_id) override {
    auto outcome = inner_.persist(client_id, data, message_id);
    after_persist.pass();
    return outcome;
  }
  Result<std::vector<PersistOutcome>> persist_batch(
      const std::vector<PersistRequest>& batch) override {
    auto outcomes = inner_.persist_batch(batch);
    after_persist.pass();
    return outcomes;
  }
  Result<Json> retrieve(std::string_view client_id) override {
    auto state = inner_.retrieve(client_id);
    after_retrieve.pass();
    return state;
  }
  Status clear(std::string_view client_id) override {
    Status cleared = inner_.clear(client_id);
    after_clear.pass();
    return cleared;
  }
  Result<std::vector<ClientSummary>> clients() override { return inner_.clients(); }

  Gate after_persist;
  Gate after_retrieve;
  Gate after_clear;

 private:
  InMemoryPersistence inner_;
};

// The race a naive cache loses: a retrieve reads, a persist returns, then the
// retrieve stores what it read. The next retrieve must not get that.
TEST(CachingPersistenceRaceTest, RetrieveThatReadBeforeAPersistReturnedDoesNotFillTheCache) {
  auto inner = std::make_shared<GatedPersistence>();
  CachingPersistence cache(inner, 4);
  ASSERT_TRUE(cache.persist("c", Json(1), 1).is_ok());
  inner->after_retrieve.arm();
  auto slow = std::async(std::launch::async, [&] { return *cache.retrieve("c"); });
  inner->after_retrieve.wait_reached();
  ASSERT_EQ(*cache.persist("c", Json(2), 2), PersistOutcome::kWritten);
  inner->after_retrieve.release();
  EXPECT_EQ(slow.get(), list_of({1}));  // it began before the persist: either is right
  EXPECT_EQ(*cache.retrieve("c"), list_of({1, 2}));
}

TEST(CachingPersistenceRaceTest, RetrieveThatReadBeforeAClearReturnedDoesNotFillTheCache) {
  auto inner = std::make_shared<GatedPersistence>();
  CachingPersistence cache(inner, 4);
  ASSERT_TRUE(cache.persist("c", Json(1), 1).is_ok());
  inner->after_retrieve.arm();
  auto slow = std::async(std::launch::async, [&] { return *cache.retrieve("c"); });
  inner->after_retrieve.wait_reached();
  ASSERT_TRUE(cache.clear("c").is_ok());
  inner->after_retrieve.release();
  EXPECT_EQ(slow.get(), list_of({1}));
  EXPECT_EQ(*cache.retrieve("c"), list_of({}));
}

// While a persist is under way a reader may see the old state or the new one,
// but once it has seen the new one it must not see the old one again, even
// when a slower retrieve that read the old state finishes after an eviction.
TEST(CachingPersistenceRaceTest, ReadsDoNotGoBackwardsWhileAPersistIsUnderWay) {
  auto inner = std::make_shared<GatedPersistence>();
  CachingPersistence cache(inner, 1);
  ASSERT_TRUE(cache.persist("c", Json(1), 1).is_ok());
  inner->after_retrieve.arm();
  auto slow = std::async(std::launch::async, [&] { return *cache.retrieve("c"); });
  inner->after_retrieve.wait_reached();  // it has read [1]
  inner->after_persist.arm();
  auto writer = std::async(std::launch::async, [&] { return *cache.persist("c", Json(2), 2); });
  inner->after_persist.wait_reached();  // [1, 2] is recorded; persist has not returned
  ASSERT_EQ(*cache.retrieve("c"), list_of({1, 2}));
  ASSERT_TRUE(cache.retrieve("other").is_ok());  // evicts whatever "c" had
  inner->after_retrieve.release();
  EXPECT_EQ(slow.get(), list_of({1}));
  EXPECT_EQ(*cache.retrieve("c"), list_of({1, 2}));
  inner->after_persist.release();
  EXPECT_EQ(writer.get(), PersistOutcome::kWritten);
  EXPECT_EQ(*cache.retrieve("c"), list_of({1, 2}));
}

// Writers own their clients: after each persist or clear returns, the
// writer's own retrieve must show it, however readers fill and evict the
// small cache meanwhile. Readers check every state they see is whole: the
// consecutive ids recorded since the client's last clear.
TEST(CachingPersistenceConcurrencyTest, WritersAlwaysReadTheirWritesWhileReadersChurnTheCache) {
  auto inner = std::make_shared<InMemoryPersistence>(std::make_shared<ListStateInterpreter>());
  CachingPersistence cache(inner, 3);
  constexpr int kWriters = 4;
  constexpr int kClientsPerWriter = 2;
  constexpr uint64_t kIds = 300;
  std::atomic<bool> done{false};
  std::atomic<int> stale{0};
  std::atomic<int> torn{0};

  auto client_name = [](int writer, int k) {
    return "w" + std::to_string(writer) + "-" + std::to_string(k);
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (uint64_t id = 1; id <= kIds; ++id) {
        for (int k = 0; k < kClientsPerWriter; ++k) {
          const std::string client = client_name(w, k);
          if (!cache.persist(client, Json(id), id).is_ok()) ++stale;
          const Json state = *cache.retrieve(client);
          if (state["messages"].empty() || state["messages"].back() != id) ++stale;
          if (id % 97 == 0) {
            if (!cache.clear(client).is_ok()) ++stale;
            if (!(*cache.retrieve(client))["messages"].empty()) ++stale;
          }
        }
      }
    });
  }
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&, r] {
      uint64_t n = static_cast<uint64_t>(r);
      while (!done.load()) {
        ++n;
        const Json state =
            *cache.retrieve(client_name(static_cast<int>(n % kWriters), static_cast<int>(n % 2)));
        const Json& messages = state["messages"];
        for (size_t i = 1; i < messages.size(); ++i) {
          if (messages[i].get<uint64_t>() != messages[i - 1].get<uint64_t>() + 1) ++torn;
        }
      }
    });
  }
  for (int w = 0; w < kWriters; ++w) threads[static_cast<size_t>(w)].join();
  done = true;
  for (size_t t = kWriters; t < threads.size(); ++t) threads[t].join();
  EXPECT_EQ(stale.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_LE(cache.stats().size, 3u);
  EXPECT_GT(cache.stats().hits + cache.stats().misses, 0u);
}

}  // namespace
}  // namespace wal::testing
