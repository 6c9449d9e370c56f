// The DataPersistence contract, as typed tests every backend instantiates:
//
//   struct MyBackend {
//     static constexpr const char* kName = "...";
//     std::string skip_reason();                    // empty when it can run
//     std::unique_ptr<DataPersistence> open(uint32_t checkpoint_threshold);
//     size_t max_record_bytes() const;              // the largest record it accepts
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, DataPersistenceContract, MyBackend);
//
// open() starts a new instance on the same storage each time it is called
// within one test; tests release the previous instance first.
#pragma once

#include <atomic>
#include <cmath>
#include <thread>

#include "test_util.h"

namespace wal::testing {

// "w1 w2 ... wN": the content of messages {"content": "wI"} for ids 1 to N.
inline std::string words_up_to(uint64_t last) {
  std::string text;
  for (uint64_t i = 1; i <= last; ++i) text += (i > 1 ? " w" : "w") + std::to_string(i);
  return text;
}

template <typename Backend>
class DataPersistenceContract : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = backend_.skip_reason(); !why.empty()) GTEST_SKIP() << why;
  }
  std::unique_ptr<DataPersistence> open(uint32_t threshold = 3) {
    auto log = backend_.open(threshold);
    EXPECT_NE(log, nullptr);
    return log;
  }
  static std::string content(DataPersistence& log, const std::string& client) {
    auto state = log.retrieve(client);
    EXPECT_TRUE(state.is_ok()) << state.status().to_string();
    return state.is_ok() ? state->value("content", std::string()) : std::string();
  }

  Backend backend_;
};

TYPED_TEST_SUITE_P(DataPersistenceContract);

TYPED_TEST_P(DataPersistenceContract, PersistTellsWrittenFromDuplicate) {
  auto log = this->open();
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kDuplicate);
  EXPECT_EQ(*log->persist("c", sentence(2), 2), PersistOutcome::kWritten);
}

TYPED_TEST_P(DataPersistenceContract, IdBelowTheHighestIsDuplicateAndChangesNothing) {
  auto log = this->open();
  ASSERT_EQ(*log->persist("c", sentence(5), 5), PersistOutcome::kWritten);
  EXPECT_EQ(*log->persist("c", sentence(3), 3), PersistOutcome::kDuplicate);
  EXPECT_EQ(this->content(*log, "c"), "Sentence 5.");
}

TYPED_TEST_P(DataPersistenceContract, PersistBatchReturnsOneOutcomePerMessageInOrder) {
  auto log = this->open(100);
  ASSERT_EQ(*log->persist("a", sentence(3), 3), PersistOutcome::kWritten);
  auto outcomes = log->persist_batch({{"a", sentence(3), 3},    // recorded before
                                      {"a", sentence(4), 4},    //
                                      {"b", sentence(1), 1},    //
                                      {"a", sentence(4), 4},    // earlier in this batch
                                      {"b", sentence(0), 0},    // below b's new mark
                                      {"a", sentence(5), 5}});  //
  ASSERT_TRUE(outcomes.is_ok()) << outcomes.status().to_string();
  using enum PersistOutcome;
  EXPECT_EQ(*outcomes, (std::vector<PersistOutcome>{kDuplicate, kWritten, kWritten, kDuplicate,
                                                    kDuplicate, kWritten}));
  log.reset();
  log = this->open(100);
  EXPECT_EQ(this->content(*log, "a"), sentences(3, 5));
  EXPECT_EQ(this->content(*log, "b"), sentences(1, 1));
}

TYPED_TEST_P(DataPersistenceContract, PersistBatchWithAnInvalidMessageWritesNothing) {
  auto log = this->open();
  auto outcomes = log->persist_batch({{"a", sentence(1), 1}, {"a/b", sentence(1), 1}});
  ASSERT_EQ(outcomes.status().code(), Code::kInvalidArgument);
  EXPECT_NE(outcomes.status().message().find("message 1"), std::string::npos);
  outcomes = log->persist_batch({{"a", sentence(1), 1}, {"b", Json(42), 1}});
  ASSERT_EQ(outcomes.status().code(), Code::kInvalidArgument);
  const size_t too_big = this->backend_.max_record_bytes() + 1;
  outcomes = log->persist_batch(
      {{"a", sentence(1), 1}, {"b", Json{{"content", std::string(too_big, 'x')}}, 1}});
  ASSERT_EQ(outcomes.status().code(), Code::kInvalidArgument);
  EXPECT_NE(outcomes.status().message().find("max_record_bytes"), std::string::npos);
  EXPECT_TRUE(log->clients()->empty());
  EXPECT_TRUE(log->persist_batch({})->empty());
}

TYPED_TEST_P(DataPersistenceContract, ClientsHaveSeparateMarks) {
  auto log = this->open();
  ASSERT_EQ(*log->persist("a", sentence(7), 7), PersistOutcome::kWritten);
  EXPECT_EQ(*log->persist("b", sentence(1), 1), PersistOutcome::kWritten);
  EXPECT_EQ(*log->persist("ab", sentence(1), 1), PersistOutcome::kWritten);
}

TYPED_TEST_P(DataPersistenceContract, MarksAndStateSurviveANewInstance) {
  auto log = this->open();
  for (uint64_t id = 1; id <= 4; ++id) ASSERT_TRUE(log->persist("c", sentence(id), id).is_ok());
  log.reset();
  log = this->open();
  EXPECT_EQ(*log->persist("c", sentence(4), 4), PersistOutcome::kDuplicate);
  EXPECT_EQ(*log->persist("c", sentence(2), 2), PersistOutcome::kDuplicate);
  EXPECT_EQ(*log->persist("c", sentence(5), 5), PersistOutcome::kWritten);
  EXPECT_EQ(this->content(*log, "c"), sentences(1, 5));
}

TYPED_TEST_P(DataPersistenceContract, IdZeroAndTheLargestIdAreValid) {
  auto log = this->open();
  EXPECT_EQ(*log->persist("zero", sentence(0), 0), PersistOutcome::kWritten);
  EXPECT_EQ(*log->persist("zero", sentence(0), 0), PersistOutcome::kDuplicate);
  EXPECT_EQ(*log->persist("top", sentence(1), UINT64_MAX), PersistOutcome::kWritten);
  log.reset();
  log = this->open();
  EXPECT_EQ(*log->persist("zero", sentence(0), 0), PersistOutcome::kDuplicate);
  EXPECT_EQ(*log->persist("top", sentence(1), UINT64_MAX), PersistOutcome::kDuplicate);
  EXPECT_EQ(mark_of(*log, "top"), UINT64_MAX);
}

TYPED_TEST_P(DataPersistenceContract, RetrieveOfAnUnknownClientIsTheEmptyStateAndListsNothing) {
  auto log = this->open();
  EXPECT_EQ(*log->retrieve("nobody"), Json({{"content", ""}}));
  EXPECT_TRUE(log->clients()->empty());
}

TYPED_TEST_P(DataPersistenceContract, StateIsTheSameBeforeAndAfterCheckpoints) {
  auto log = this->open(2);
  for (uint64_t id = 1; id <= 7; ++id) {
    ASSERT_TRUE(
        log->persist("c", Json{{"content", "w" + std::to_string(id)}, {"n", id}}, id).is_ok());
    EXPECT_EQ(*log->retrieve("c"), Json({{"content", words_up_to(id)}, {"n", id}}));
  }
  log.reset();
  log = this->open(2);
  EXPECT_EQ(*log->retrieve("c"), Json({{"content", words_up_to(7)}, {"n", 7}}));
}

TYPED_TEST_P(DataPersistenceContract, ClearForgetsTheClient) {
  auto log = this->open();
  for (uint64_t id = 1; id <= 4; ++id) ASSERT_TRUE(log->persist("c", sentence(id), id).is_ok());
  ASSERT_TRUE(log->clear("c").is_ok());
  EXPECT_EQ(*log->retrieve("c"), Json({{"content", ""}}));
  EXPECT_TRUE(log->clients()->empty());
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
  EXPECT_EQ(this->content(*log, "c"), "Sentence 1.");
}

TYPED_TEST_P(DataPersistenceContract, ClearOfAnUnknownClientSucceeds) {
  auto log = this->open();
  EXPECT_TRUE(log->clear("nobody").is_ok());
}

TYPED_TEST_P(DataPersistenceContract, ClearLeavesOtherClientsAlone) {
  auto log = this->open();
  ASSERT_TRUE(log->persist("a", sentence(1), 1).is_ok());
  ASSERT_TRUE(log->persist("ab", sentence(2), 2).is_ok());
  ASSERT_TRUE(log->persist("a b", sentence(3), 3).is_ok());
  ASSERT_TRUE(log->clear("a").is_ok());
  EXPECT_EQ(this->content(*log, "ab"), "Sentence 2.");
  EXPECT_EQ(this->content(*log, "a b"), "Sentence 3.");
  EXPECT_EQ(log->clients()->size(), 2u);
}

TYPED_TEST_P(DataPersistenceContract, ClientsListsEveryClientWithItsHighestIdSortedById) {
  auto log = this->open();
  ASSERT_TRUE(log->persist("b", sentence(9), 9).is_ok());
  ASSERT_TRUE(log->persist("a", sentence(3), 3).is_ok());
  ASSERT_TRUE(log->persist("50%off", sentence(4), 4).is_ok());
  auto clients = log->clients();
  ASSERT_TRUE(clients.is_ok()) << clients.status().to_string();
  ASSERT_EQ(clients->size(), 3u);
  EXPECT_EQ((*clients)[0].client_id, "50%off");
  EXPECT_EQ((*clients)[0].max_message_id, 4u);
  EXPECT_EQ((*clients)[1].client_id, "a");
  EXPECT_EQ((*clients)[1].max_message_id, 3u);
  EXPECT_EQ((*clients)[2].client_id, "b");
  EXPECT_EQ((*clients)[2].max_message_id, 9u);
}

TYPED_TEST_P(DataPersistenceContract, HostileIdsAreRefusedAndWriteNothing) {
  auto log = this->open();
  for (const std::string& id :
       std::vector<std::string>{"", ".", "..", "../escape", "a/b", "/abs", std::string("a\0b", 3),
                                "a\nb", "a\xff", std::string(201, 'x')}) {
    EXPECT_EQ(log->persist(id, sentence(1), 1).status().code(), Code::kInvalidArgument) << id;
    EXPECT_EQ(log->retrieve(id).status().code(), Code::kInvalidArgument) << id;
    EXPECT_EQ(log->clear(id).code(), Code::kInvalidArgument) << id;
  }
  EXPECT_TRUE(log->clients()->empty());
}

TYPED_TEST_P(DataPersistenceContract, UnusualButValidIdsRoundTrip) {
  auto log = this->open();
  const std::vector<std::string> ids = {
      "50%off", "%2F", "a b", "клиент", "客户😀", "x..", std::string(200, 'z')};
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSERT_EQ(*log->persist(ids[i], sentence(i), i), PersistOutcome::kWritten) << ids[i];
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(this->content(*log, ids[i]), "Sentence " + std::to_string(i) + ".") << ids[i];
    EXPECT_EQ(mark_of(*log, ids[i]), i) << ids[i];
  }
}

TYPED_TEST_P(DataPersistenceContract, BigPayloadsRoundTripAndTooBigOnesAreRefused) {
  auto log = this->open(2);
  const size_t limit = this->backend_.max_record_bytes();
  const std::string big(limit - 200, 'b');
  ASSERT_EQ(*log->persist("c", Json{{"content", big}}, 1), PersistOutcome::kWritten);
  ASSERT_EQ(*log->persist("c", Json{{"content", big}}, 2), PersistOutcome::kWritten);
  ASSERT_EQ(*log->persist("c", Json{{"content", big}}, 3), PersistOutcome::kWritten);
  auto refused = log->persist("c", Json{{"content", std::string(limit + 1, 'x')}}, 4);
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("max_record_bytes"), std::string::npos);
  log.reset();
  log = this->open(2);
  EXPECT_EQ(this->content(*log, "c"), big + " " + big + " " + big);
}

TYPED_TEST_P(DataPersistenceContract, DataOfTheWrongShapeIsRefused) {
  auto log = this->open();
  EXPECT_EQ(log->persist("c", Json(42), 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log->persist("c", Json{{"content", 5}}, 1).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(log->clients()->empty());
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
}

// JSON text cannot carry them back: written, they would make the client unreadable.
TYPED_TEST_P(DataPersistenceContract, NonFiniteNumbersAreRefusedAndWriteNothing) {
  auto log = this->open();
  for (double number : {std::nan(""), HUGE_VAL, -HUGE_VAL}) {
    auto outcome = log->persist("c", Json{{"content", "x"}, {"v", {1, number}}}, 1);
    EXPECT_EQ(outcome.status().code(), Code::kInvalidArgument);
    EXPECT_NE(outcome.status().message().find("at /v/1"), std::string::npos)
        << outcome.status().to_string();
  }
  EXPECT_TRUE(log->clients()->empty());
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
  log.reset();
  log = this->open();
  EXPECT_EQ(this->content(*log, "c"), "Sentence 1.");
}

// The original lost ~1,900 of 2,000 messages this way (reference, K1).
TYPED_TEST_P(DataPersistenceContract, ThreadsRedeliveringToOneClientWriteEachIdOnce) {
  constexpr uint64_t kIds = 300;
  constexpr int kThreads = 4;
  auto log = this->open(10);
  std::atomic<int> written{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (uint64_t id = 1; id <= kIds; ++id) {
        auto outcome = log->persist("c", sentence(id), id);
        ASSERT_TRUE(outcome.is_ok()) << outcome.status().to_string();
        if (*outcome == PersistOutcome::kWritten) ++written;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(written.load(), static_cast<int>(kIds));
  EXPECT_EQ(this->content(*log, "c"), sentences(1, kIds));
  log.reset();
  log = this->open(10);
  EXPECT_EQ(this->content(*log, "c"), sentences(1, kIds));
}

TYPED_TEST_P(DataPersistenceContract, ThreadsOnManyClientsLoseNothing) {
  constexpr uint64_t kIds = 40;
  constexpr int kThreads = 8;
  auto log = this->open(7);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t id = 1; id <= kIds; ++id) {
        const std::string client = "client-" + std::to_string(t * 2 + id % 2);
        auto outcome = log->persist(client, sentence(id), id);
        ASSERT_TRUE(outcome.is_ok()) << outcome.status().to_string();
        ASSERT_EQ(*outcome, PersistOutcome::kWritten);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  log.reset();
  log = this->open(7);
  auto clients = log->clients();
  ASSERT_EQ(clients->size(), 2u * kThreads);
  for (const ClientSummary& client : *clients) {
    const bool odd = (std::stoi(client.client_id.substr(7)) % 2) == 1;
    std::string expected;
    for (uint64_t id = odd ? 1 : 2; id <= kIds; id += 2) {
      expected +=
          (expected.empty() ? "" : " ") + std::string("Sentence ") + std::to_string(id) + ".";
    }
    EXPECT_EQ(this->content(*log, client.client_id), expected) << client.client_id;
  }
}

TYPED_TEST_P(DataPersistenceContract, RetrieveAndClearRaceWithPersistSafely) {
  auto log = this->open();
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) {
      auto state = log->retrieve("c");
      ASSERT_TRUE(state.is_ok()) << state.status().to_string();
      ASSERT_EQ((*state).value("content", std::string()).find("Sentence 1. Sentence 1."),
                std::string::npos);
    }
  });
  for (uint64_t round = 0; round < 5; ++round) {
    for (uint64_t id = 1; id <= 10; ++id) ASSERT_TRUE(log->persist("c", sentence(id), id).is_ok());
    ASSERT_TRUE(log->clear("c").is_ok());
  }
  done = true;
  reader.join();
  EXPECT_EQ(*log->retrieve("c"), Json({{"content", ""}}));
}

REGISTER_TYPED_TEST_SUITE_P(DataPersistenceContract, PersistTellsWrittenFromDuplicate,
                            IdBelowTheHighestIsDuplicateAndChangesNothing,
                            PersistBatchReturnsOneOutcomePerMessageInOrder,
                            PersistBatchWithAnInvalidMessageWritesNothing, ClientsHaveSeparateMarks,
                            MarksAndStateSurviveANewInstance, IdZeroAndTheLargestIdAreValid,
                            RetrieveOfAnUnknownClientIsTheEmptyStateAndListsNothing,
                            StateIsTheSameBeforeAndAfterCheckpoints, ClearForgetsTheClient,
                            ClearOfAnUnknownClientSucceeds, ClearLeavesOtherClientsAlone,
                            ClientsListsEveryClientWithItsHighestIdSortedById,
                            HostileIdsAreRefusedAndWriteNothing, UnusualButValidIdsRoundTrip,
                            BigPayloadsRoundTripAndTooBigOnesAreRefused,
                            DataOfTheWrongShapeIsRefused, NonFiniteNumbersAreRefusedAndWriteNothing,
                            ThreadsRedeliveringToOneClientWriteEachIdOnce,
                            ThreadsOnManyClientsLoseNothing, RetrieveAndClearRaceWithPersistSafely);

}  // namespace wal::testing
