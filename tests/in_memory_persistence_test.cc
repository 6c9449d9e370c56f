// InMemoryPersistence: the DataPersistence contract without a disk.
#include <thread>

#include "test_util.h"
#include "wal/in_memory_persistence.h"
#include "wal/list_state_interpreter.h"

namespace wal::testing {
namespace {

InMemoryPersistence consumer_memory() {
  return InMemoryPersistence(std::make_shared<ConsumerStateInterpreter>());
}

TEST(InMemoryPersistenceTest, PersistTellsWrittenFromDuplicate) {
  auto memory = consumer_memory();
  EXPECT_EQ(*memory.persist("c", sentence(1), 1), PersistOutcome::kWritten);
  EXPECT_EQ(*memory.persist("c", sentence(1), 1), PersistOutcome::kDuplicate);
  EXPECT_EQ(*memory.persist("c", sentence(0), 0), PersistOutcome::kDuplicate);
  EXPECT_EQ(*memory.persist("c", sentence(2), 2), PersistOutcome::kWritten);
  EXPECT_EQ((*memory.retrieve("c"))["content"], sentences(1, 2));
}

TEST(InMemoryPersistenceTest, RetrieveMatchesTheLogForTheSameMessages) {
  TempDir dir;
  auto log = open_log(options_for(dir.path() / "data", 2));
  auto memory = consumer_memory();
  const std::vector<std::pair<uint64_t, Json>> messages = {{1, sentence(1)},
                                                           {3, Json("plain")},
                                                           {2, sentence(2)},
                                                           {7, Json{{"k", 1}}},
                                                           {9, sentence(9)}};
  for (const auto& [id, data] : messages) {
    EXPECT_EQ(*memory.persist("c", data, id), *log->persist("c", data, id)) << id;
  }
  EXPECT_EQ(*memory.retrieve("c"), *log->retrieve("c"));
}

TEST(InMemoryPersistenceTest, PersistBatchGivesOneOutcomePerMessageInOrder) {
  auto memory = consumer_memory();
  auto outcomes = memory.persist_batch(
      {{"a", sentence(1), 1}, {"b", sentence(5), 5}, {"a", sentence(1), 1}, {"a", sentence(2), 2}});
  ASSERT_TRUE(outcomes.is_ok()) << outcomes.status().to_string();
  EXPECT_EQ(*outcomes, (std::vector{PersistOutcome::kWritten, PersistOutcome::kWritten,
                                    PersistOutcome::kDuplicate, PersistOutcome::kWritten}));
  EXPECT_EQ((*memory.retrieve("a"))["content"], sentences(1, 2));
  EXPECT_EQ((*memory.retrieve("b"))["content"], sentences(5, 5));
}

TEST(InMemoryPersistenceTest, PersistBatchWithAnInvalidMessageRecordsNothing) {
  auto memory = consumer_memory();
  auto outcomes = memory.persist_batch({{"a", sentence(1), 1}, {"../escape", sentence(2), 2}});
  ASSERT_FALSE(outcomes.is_ok());
  EXPECT_EQ(outcomes.status().code(), Code::kInvalidArgument);
  EXPECT_NE(outcomes.status().to_string().find("message 1"), std::string::npos)
      << outcomes.status().to_string();
  EXPECT_TRUE(memory.clients()->empty());
}

TEST(InMemoryPersistenceTest, UnknownClientHasTheEmptyState) {
  auto memory = consumer_memory();
  EXPECT_EQ(*memory.retrieve("nobody"), Json::parse(R"({"content": ""})"));
}

TEST(InMemoryPersistenceTest, ClearForgetsTheClientAndItsMark) {
  auto memory = consumer_memory();
  ASSERT_EQ(*memory.persist("c", sentence(5), 5), PersistOutcome::kWritten);
  ASSERT_TRUE(memory.clear("c").is_ok());
  EXPECT_EQ(*memory.retrieve("c"), Json::parse(R"({"content": ""})"));
  EXPECT_TRUE(memory.clients()->empty());
  EXPECT_EQ(*memory.persist("c", sentence(1), 1), PersistOutcome::kWritten);
}

TEST(InMemoryPersistenceTest, ClientsAreSortedWithTheirHighestId) {
  auto memory = consumer_memory();
  ASSERT_TRUE(memory.persist("b", sentence(4), 4).is_ok());
  ASSERT_TRUE(memory.persist("a", sentence(2), 2).is_ok());
  ASSERT_TRUE(memory.persist("b", sentence(9), 9).is_ok());
  auto clients = memory.clients();
  ASSERT_EQ(clients->size(), 2u);
  EXPECT_EQ((*clients)[0].client_id, "a");
  EXPECT_EQ((*clients)[0].max_message_id, 2u);
  EXPECT_EQ((*clients)[1].client_id, "b");
  EXPECT_EQ((*clients)[1].max_message_id, 9u);
}

TEST(InMemoryPersistenceTest, BadClientIdsAreRefusedAsByTheLog) {
  auto memory = consumer_memory();
  for (const std::string& bad :
       std::vector<std::string>{"", "..", ".hidden", "a/b", std::string("a\0b", 3)}) {
    EXPECT_EQ(memory.persist(bad, sentence(1), 1).status().code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(memory.retrieve(bad).status().code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(memory.clear(bad).code(), Code::kInvalidArgument) << bad;
  }
}

TEST(InMemoryPersistenceTest, DataTheInterpreterRefusesIsNotRecorded) {
  auto memory = consumer_memory();
  EXPECT_EQ(memory.persist("c", Json::array({1}), 1).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(memory.clients()->empty());
  EXPECT_EQ(*memory.persist("c", sentence(1), 1), PersistOutcome::kWritten);
}

TEST(InMemoryPersistenceTest, ThreadsPersistingOneClientRecordEachIdOnce) {
  InMemoryPersistence memory(std::make_shared<ListStateInterpreter>());
  constexpr uint64_t kIds = 500;
  std::atomic<uint64_t> written{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (uint64_t id = 1; id <= kIds; ++id) {
        auto outcome = memory.persist("c", Json(id), id);
        ASSERT_TRUE(outcome.is_ok());
        if (*outcome == PersistOutcome::kWritten) ++written;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const Json messages = (*memory.retrieve("c"))["messages"];
  // High-water mark: ids skipped behind a faster thread are duplicates, but
  // what is recorded is strictly ascending and each id at most once.
  EXPECT_EQ(messages.size(), written.load());
  for (size_t i = 1; i < messages.size(); ++i) EXPECT_LT(messages[i - 1], messages[i]);
  EXPECT_EQ(messages.back(), kIds);
}

}  // namespace
}  // namespace wal::testing
