// The WriteAheadLog contract: outcomes, dedup, state, clear, locking, threads.

#include "test_util.h"

namespace wal::testing {
namespace {

class WriteAheadLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<WriteAheadLog> open(uint32_t threshold = 3) {
    return open_log(options_for(dir_.path() / "data", threshold));
  }
  fs::path client_folder(const std::string& client) const { return dir_.path() / "data" / client; }

  TempDir dir_;
};

TEST_F(WriteAheadLogTest, PersistTellsWrittenFromDuplicate) {
  auto log = open();
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kDuplicate);
}

TEST_F(WriteAheadLogTest, IdBelowTheHighestIsDuplicate) {
  auto log = open();
  ASSERT_EQ(*log->persist("c", sentence(5), 5), PersistOutcome::kWritten);
  EXPECT_EQ(*log->persist("c", sentence(3), 3), PersistOutcome::kDuplicate);
  EXPECT_EQ((*log->retrieve("c"))["content"], "Sentence 5.");
}

TEST_F(WriteAheadLogTest, DuplicateWritesNothing) {
  auto log = open(100);
  ASSERT_TRUE(log->persist("c", sentence(1), 1).is_ok());
  const auto before = list_names(client_folder("c"));
  ASSERT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kDuplicate);
  EXPECT_EQ(list_names(client_folder("c")), before);
}

TEST_F(WriteAheadLogTest, ClientsHaveSeparateMarks) {
  auto log = open();
  ASSERT_EQ(*log->persist("a", sentence(7), 7), PersistOutcome::kWritten);
  EXPECT_EQ(*log->persist("b", sentence(1), 1), PersistOutcome::kWritten);
}

TEST_F(WriteAheadLogTest, MarksSurviveReopen) {
  {
    auto log = open();
    for (uint64_t id : {1, 2, 3, 4}) ASSERT_TRUE(log->persist("c", sentence(id), id).is_ok());
  }
  auto log = open();
  EXPECT_EQ(*log->persist("c", sentence(4), 4), PersistOutcome::kDuplicate);
  EXPECT_EQ(*log->persist("c", sentence(2), 2), PersistOutcome::kDuplicate);
  EXPECT_EQ(*log->persist("c", sentence(5), 5), PersistOutcome::kWritten);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 5));
}

TEST_F(WriteAheadLogTest, IdZeroIsAValidFirstId) {
  auto log = open();
  EXPECT_EQ(*log->persist("c", sentence(0), 0), PersistOutcome::kWritten);
  EXPECT_EQ(*log->persist("c", sentence(0), 0), PersistOutcome::kDuplicate);
  log.reset();
  log = open();
  EXPECT_EQ(*log->persist("c", sentence(0), 0), PersistOutcome::kDuplicate);
}

TEST_F(WriteAheadLogTest, LargestIdIsRecordedAndRecovered) {
  constexpr uint64_t kMax = UINT64_MAX;
  {
    auto log = open();
    ASSERT_EQ(*log->persist("c", sentence(1), kMax), PersistOutcome::kWritten);
  }
  auto log = open();
  auto clients = log->clients();
  ASSERT_EQ(clients->size(), 1u);
  EXPECT_EQ((*clients)[0].max_message_id, kMax);
  EXPECT_EQ(*log->persist("c", sentence(1), kMax), PersistOutcome::kDuplicate);
}

TEST_F(WriteAheadLogTest, RetrieveUnknownClientIsEmptyAndCreatesNothing) {
  auto log = open();
  auto state = log->retrieve("nobody");
  ASSERT_TRUE(state.is_ok());
  EXPECT_EQ(*state, Json({{"content", ""}}));
  EXPECT_FALSE(fs::exists(client_folder("nobody")));
}

TEST_F(WriteAheadLogTest, RetrieveAlwaysReturnsAnObject) {
  auto log = open();
  ASSERT_TRUE(log->persist("c", Json("plain string payload"), 1).is_ok());
  EXPECT_EQ(*log->retrieve("c"), Json({{"content", "plain string payload"}}));
}

TEST_F(WriteAheadLogTest, MergeJoinsContentInIdOrderAndLatestIdWinsOtherKeys) {
  auto log = open(100);
  ASSERT_TRUE(log->persist("c", Json{{"content", "one"}, {"mood", "calm"}}, 1).is_ok());
  ASSERT_TRUE(log->persist("c", Json{{"content", "two"}, {"mood", "busy"}, {"n", 2}}, 2).is_ok());
  EXPECT_EQ(*log->retrieve("c"), Json({{"content", "one two"}, {"mood", "busy"}, {"n", 2}}));
}

TEST_F(WriteAheadLogTest, CheckpointKeepsEveryKey) {
  auto log = open(2);
  ASSERT_TRUE(log->persist("c", Json{{"content", "one"}, {"count", 1}}, 1).is_ok());
  ASSERT_TRUE(log->persist("c", Json{{"count", 2}}, 2).is_ok());
  EXPECT_EQ(names_with_prefix(client_folder("c"), "checkpoint_").size(), 1u);
  EXPECT_EQ(*log->retrieve("c"), Json({{"content", "one"}, {"count", 2}}));
}

TEST_F(WriteAheadLogTest, CheckpointThresholdIsConfigurable) {
  auto log = open(5);
  for (uint64_t id = 1; id <= 4; ++id) ASSERT_TRUE(log->persist("c", sentence(id), id).is_ok());
  EXPECT_EQ(names_with_prefix(client_folder("c"), "log_").size(), 4u);
  EXPECT_TRUE(names_with_prefix(client_folder("c"), "checkpoint_").empty());
  ASSERT_TRUE(log->persist("c", sentence(5), 5).is_ok());
  EXPECT_TRUE(names_with_prefix(client_folder("c"), "log_").empty());
  EXPECT_EQ(names_with_prefix(client_folder("c"), "checkpoint_").size(), 1u);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 5));
}

TEST_F(WriteAheadLogTest, ZeroThresholdIsRefused) {
  auto log =
      WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                          std::make_shared<FileSystemStorage>(), options_for(dir_.path(), 0));
  EXPECT_EQ(log.status().code(), Code::kInvalidArgument);
}

TEST_F(WriteAheadLogTest, ClearForgetsTheClientAtomically) {
  auto log = open();
  for (uint64_t id = 1; id <= 4; ++id) ASSERT_TRUE(log->persist("c", sentence(id), id).is_ok());
  ASSERT_TRUE(log->clear("c").is_ok());
  EXPECT_FALSE(fs::exists(client_folder("c")));
  EXPECT_EQ(*log->retrieve("c"), Json({{"content", ""}}));
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
  EXPECT_EQ((*log->retrieve("c"))["content"], "Sentence 1.");
}

TEST_F(WriteAheadLogTest, ClearOfUnknownClientSucceeds) {
  auto log = open();
  EXPECT_TRUE(log->clear("nobody").is_ok());
}

TEST_F(WriteAheadLogTest, ClearLeavesOtherClients) {
  auto log = open();
  ASSERT_TRUE(log->persist("a", sentence(1), 1).is_ok());
  ASSERT_TRUE(log->persist("b", sentence(2), 2).is_ok());
  ASSERT_TRUE(log->clear("a").is_ok());
  EXPECT_EQ((*log->retrieve("b"))["content"], "Sentence 2.");
  auto clients = log->clients();
  ASSERT_EQ(clients->size(), 1u);
  EXPECT_EQ((*clients)[0].client_id, "b");
}

TEST_F(WriteAheadLogTest, ClientsListsHighestIds) {
  auto log = open();
  ASSERT_TRUE(log->persist("b", sentence(9), 9).is_ok());
  ASSERT_TRUE(log->persist("a", sentence(3), 3).is_ok());
  auto clients = log->clients();
  ASSERT_TRUE(clients.is_ok());
  ASSERT_EQ(clients->size(), 2u);
  EXPECT_EQ((*clients)[0].client_id, "a");
  EXPECT_EQ((*clients)[0].max_message_id, 3u);
  EXPECT_EQ((*clients)[1].client_id, "b");
  EXPECT_EQ((*clients)[1].max_message_id, 9u);
}

TEST_F(WriteAheadLogTest, SecondInstanceOnTheSameDirectoryIsRefused) {
  auto log = open();
  auto second =
      WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                          std::make_shared<FileSystemStorage>(), options_for(dir_.path() / "data"));
  ASSERT_FALSE(second.is_ok());
  EXPECT_EQ(second.status().code(), Code::kLocked);
  EXPECT_NE(second.status().to_string().find(".wal.lock"), std::string::npos);
}

TEST_F(WriteAheadLogTest, LockIsReleasedWhenTheInstanceCloses) {
  open().reset();
  EXPECT_NE(open(), nullptr);
}

TEST_F(WriteAheadLogTest, BaseDirectoryIsCreatedWithItsParents) {
  auto log = open_log(options_for(dir_.path() / "a" / "b" / "c"));
  ASSERT_NE(log, nullptr);
  EXPECT_TRUE(fs::is_directory(dir_.path() / "a" / "b" / "c"));
}

TEST_F(WriteAheadLogTest, DataOfTheWrongShapeIsRefused) {
  auto log = open();
  EXPECT_EQ(log->persist("c", Json(42), 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log->persist("c", Json::array({1, 2}), 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log->persist("c", Json{{"content", 5}}, 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log->persist("c", Json{{"_metadata", 1}}, 1).status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(fs::exists(client_folder("c")));
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
}

TEST_F(WriteAheadLogTest, RecordAboveTheSizeLimitIsRefused) {
  auto options = options_for(dir_.path() / "data");
  options.max_record_bytes = 1000;
  auto log = open_log(options);
  auto outcome = log->persist("c", Json{{"content", std::string(2000, 'x')}}, 1);
  EXPECT_EQ(outcome.status().code(), Code::kInvalidArgument);
  EXPECT_NE(outcome.status().message().find("max_record_bytes"), std::string::npos);
  EXPECT_EQ(*log->persist("c", Json{{"content", std::string(500, 'x')}}, 1),
            PersistOutcome::kWritten);
}

TEST_F(WriteAheadLogTest, PayloadWithNulNewlineAndMarkersRoundTrips) {
  const std::string tricky =
      std::string("a\0b", 3) + "\nCOMPLETED\nPROCESSING\n}}\"crc32c\": \"0\"";
  {
    auto log = open(2);
    ASSERT_TRUE(log->persist("c", Json{{"content", tricky}}, 1).is_ok());
  }
  auto log = open(2);
  EXPECT_EQ((*log->retrieve("c"))["content"], tricky);
  ASSERT_TRUE(log->persist("c", Json{{"content", "é中😀"}}, 2).is_ok());  // makes a checkpoint
  log.reset();
  log = open(2);
  EXPECT_EQ((*log->retrieve("c"))["content"], tricky + " é中😀");
}

// Threads redelivering to one client, threads on many clients, and retrieve
// and clear racing persist: the DataPersistence contract, which
// data_persistence_contract_test runs on this layout.

}  // namespace
}  // namespace wal::testing
