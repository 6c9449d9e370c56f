// The worked examples of the original service (reference §13), one test per
// behaviour, with our corrected behaviour where the original was wrong. The
// comment on each test says what the original did.
#include "fault_injection_storage.h"
#include "test_util.h"

namespace wal::testing {
namespace {

// Timestamps of hand-built files, in the order the original would write them.
constexpr char kT1[] = "1795558512481";
constexpr char kT2[] = "1795558512482";
constexpr char kT3[] = "1795558512483";
constexpr char kT4[] = "1795558512484";
constexpr char kT5[] = "1795558512485";

Json parse(const std::string& text) { return Json::parse(text); }

// ---- Ex 1: README usage -------------------------------------------------------

class Example1ReadmeUsage : public DataDirTest {
 protected:
  void SetUp() override {
    log_ = open();
    auto outcome = log_->persist("client123", Json{{"content", "some important business data"}}, 5);
    ASSERT_TRUE(outcome.is_ok()) << outcome.status().to_string();
    ASSERT_EQ(*outcome, PersistOutcome::kWritten);
  }

  std::unique_ptr<WriteAheadLog> log_;
};

// Original: {'content': 'some important business data'} too.
TEST_F(Example1ReadmeUsage, RetrieveGivesTheContent) {
  EXPECT_EQ(*log_->retrieve("client123"), parse(R"({"content": "some important business data"})"));
}

// Original: the same 125 bytes without the "crc32c" field.
TEST_F(Example1ReadmeUsage, LogFileHasTheOriginalBytesPlusACrc32c) {
  const std::string name = only_file_with_prefix(client_dir("client123"), "log_");
  const std::string timestamp = timestamp_in_name(name);
  EXPECT_EQ(name, "log_" + timestamp + "_5.log");
  const std::string original = original_file(
      "COMPLETED",
      original_log_json(R"({"content": "some important business data"})", timestamp, "5"));
  EXPECT_EQ(read_bytes(client_dir("client123") / name), with_crc32c(original));
}

// ---- Ex 2: threshold, dedup, restart -----------------------------------------

class Example2ThresholdDedupRestart : public DataDirTest {
 protected:
  std::string only_checkpoint() const {
    return only_file_with_prefix(client_dir("c1"), "checkpoint_");
  }
};

// Original: the same file without "batch" and "crc32c".
TEST_F(Example2ThresholdDedupRestart, ThirdMessageLeavesOnlyACheckpointOfAllThree) {
  auto log = open(3);
  persist_sentences(*log, "c1", 1, 3);
  const std::string name = only_checkpoint();
  EXPECT_EQ(record_names(client_dir("c1")), std::vector<std::string>{name});
  const std::string original = original_file(
      "COMPLETED", R"({"content": "Sentence 1. Sentence 2. Sentence 3.", "batch": 3, )"
                   R"("_metadata": {"timestamp": ")" +
                       timestamp_in_name(name) + R"(", "max_message_id": 3}})");
  EXPECT_EQ(read_bytes(client_dir("c1") / name), with_crc32c(original));
}

// Original: {'content': 'Sentence 1. Sentence 2. Sentence 3.'}, "batch" dropped.
TEST_F(Example2ThresholdDedupRestart, RetrieveAfterTheCheckpointGivesTheJoinedContent) {
  auto log = open(3);
  persist_sentences(*log, "c1", 1, 3);
  EXPECT_EQ(*log->retrieve("c1"),
            parse(R"({"content": "Sentence 1. Sentence 2. Sentence 3.", "batch": 3})"));
}

// Original: the same files.
TEST_F(Example2ThresholdDedupRestart, FourthMessageIsALogBesideTheCheckpoint) {
  auto log = open(3);
  persist_sentences(*log, "c1", 1, 4);
  const std::vector<std::string> names = record_names(client_dir("c1"));
  ASSERT_EQ(names.size(), 2u);
  EXPECT_TRUE(names[0].starts_with("checkpoint_")) << names[0];
  EXPECT_EQ(names[1], "log_" + timestamp_in_name(names[1]) + "_4.log");
}

// Original: {'content': 'Sentence 1. … Sentence 4.', 'batch': 4} too.
TEST_F(Example2ThresholdDedupRestart, RetrieveJoinsTheCheckpointAndTheLog) {
  auto log = open(3);
  persist_sentences(*log, "c1", 1, 4);
  EXPECT_EQ(content_of(*log, "c1"), sentences(1, 4));
}

// Original: returned True for both, which callers could not tell from "written".
TEST_F(Example2ThresholdDedupRestart, RedeliveredIdsAreDuplicatesAndWriteNothing) {
  auto log = open(3);
  persist_sentences(*log, "c1", 1, 4);
  const std::vector<std::string> before = record_names(client_dir("c1"));
  EXPECT_EQ(*log->persist("c1", sentence(2), 2), PersistOutcome::kDuplicate);
  EXPECT_EQ(*log->persist("c1", sentence(3), 3), PersistOutcome::kDuplicate);
  EXPECT_EQ(record_names(client_dir("c1")), before);
  EXPECT_EQ(content_of(*log, "c1"), sentences(1, 4));
}

// Original: processed_ids {'c1': 4} too.
TEST_F(Example2ThresholdDedupRestart, ReopenKeepsTheHighestId) {
  {
    auto log = open(3);
    persist_sentences(*log, "c1", 1, 4);
  }
  auto log = open(3);
  EXPECT_EQ(mark_of(*log, "c1"), 4u);
  EXPECT_EQ(*log->persist("c1", sentence(4), 4), PersistOutcome::kDuplicate);
}

// Original: the same, without "batch".
TEST_F(Example2ThresholdDedupRestart, SecondCheckpointReplacesTheFirstAndItsLogs) {
  std::string first_checkpoint;
  {
    auto log = open(3);
    persist_sentences(*log, "c1", 1, 4);
    first_checkpoint = only_checkpoint();
  }
  auto log = open(3);
  persist_sentences(*log, "c1", 5, 6);
  const std::string second_checkpoint = only_checkpoint();
  EXPECT_NE(second_checkpoint, first_checkpoint);
  EXPECT_EQ(record_names(client_dir("c1")), std::vector<std::string>{second_checkpoint});
  EXPECT_EQ(*log->retrieve("c1"),
            parse(R"({"content": ")" + sentences(1, 6) + R"(", "batch": 6})"));
  EXPECT_EQ(mark_of(*log, "c1"), 6u);
}

// ---- Ex 3: data without "batch" or without "content" ----------------------------

using Example3DataWithoutBatch = DataDirTest;

// Original: {'content': 'alpha', 'batch': None}: one log's content hid the other's.
TEST_F(Example3DataWithoutBatch, ContentOnlyMessagesAreJoinedInIdOrder) {
  auto log = open(3);
  ASSERT_TRUE(log->persist("c", Json{{"content", "alpha"}}, 1).is_ok());
  ASSERT_TRUE(log->persist("c", Json{{"content", "beta"}}, 2).is_ok());
  EXPECT_EQ(*log->retrieve("c"), parse(R"({"content": "alpha beta"})"));
}

// Original: the checkpoint held "alpha" only; "beta" and "gamma" were lost for good.
TEST_F(Example3DataWithoutBatch, ContentOnlyMessagesSurviveTheCheckpoint) {
  auto log = open(3);
  ASSERT_TRUE(log->persist("c", Json{{"content", "alpha"}}, 1).is_ok());
  ASSERT_TRUE(log->persist("c", Json{{"content", "beta"}}, 2).is_ok());
  ASSERT_TRUE(log->persist("c", Json{{"content", "gamma"}}, 3).is_ok());
  ASSERT_EQ(names_with_prefix(client_dir("c"), "log_").size(), 0u);
  EXPECT_EQ(*log->retrieve("c"), parse(R"({"content": "alpha beta gamma"})"));
}

// Original: the log's content replaced the checkpoint's ("no-batch S5 S6" after S1-S3).
TEST_F(Example3DataWithoutBatch, ContentOnlyLogIsAppendedToTheCheckpoint) {
  auto log = open(3);
  persist_sentences(*log, "c", 1, 3);
  ASSERT_TRUE(log->persist("c", Json{{"content", "no-batch S5 S6"}}, 4).is_ok());
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 3) + " no-batch S5 S6");
}

// Original: {'content': '', 'batch': None}: "count" was dropped.
TEST_F(Example3DataWithoutBatch, DataWithoutContentKeepsItsKeysAndTheLatestIdWins) {
  auto log = open(3);
  ASSERT_TRUE(log->persist("c", Json{{"count", 1}}, 1).is_ok());
  ASSERT_TRUE(log->persist("c", Json{{"count", 2}}, 2).is_ok());
  EXPECT_EQ(*log->retrieve("c"), parse(R"({"content": "", "count": 2})"));
}

// Original: the checkpoint was {"content": ""} and retrieve returned None.
TEST_F(Example3DataWithoutBatch, DataWithoutContentSurvivesTheCheckpoint) {
  auto log = open(3);
  for (uint64_t id = 1; id <= 3; ++id) {
    ASSERT_TRUE(log->persist("c", Json{{"count", id}}, id).is_ok());
  }
  ASSERT_EQ(names_with_prefix(client_dir("c"), "log_").size(), 0u);
  EXPECT_EQ(*log->retrieve("c"), parse(R"({"content": "", "count": 3})"));
}

// ---- Ex 4: clear and non-object data ---------------------------------------------

class Example4ClearAndPlainStrings : public DataDirTest {
 protected:
  void SetUp() override {
    log_ = open(3);
    ASSERT_TRUE(log_->persist("a", parse(R"({"batch": 10, "content": "A10."})"), 10).is_ok());
    ASSERT_TRUE(log_->persist("b", Json("plain string payload"), 1).is_ok());
  }

  std::unique_ptr<WriteAheadLog> log_;
};

// Original: {'batch': 10, 'content': 'A10.'}, the message itself.
TEST_F(Example4ClearAndPlainStrings, ObjectMessageBecomesTheState) {
  EXPECT_EQ(*log_->retrieve("a"), parse(R"({"content": "A10.", "batch": 10})"));
}

// Original: the bare string 'plain string payload'.
TEST_F(Example4ClearAndPlainStrings, PlainStringCountsAsContent) {
  EXPECT_EQ(*log_->retrieve("b"), parse(R"({"content": "plain string payload"})"));
}

// Original: deleted the files one by one and left the empty folder.
TEST_F(Example4ClearAndPlainStrings, ClearRemovesTheClientFolder) {
  ASSERT_TRUE(log_->clear("a").is_ok());
  EXPECT_FALSE(fs::exists(client_dir("a")));
  EXPECT_EQ(*log_->retrieve("a"), parse(R"({"content": ""})"));
}

// Original: accepted too.
TEST_F(Example4ClearAndPlainStrings, IdOneIsAcceptedAfterClear) {
  ASSERT_TRUE(log_->clear("a").is_ok());
  EXPECT_EQ(*log_->persist("a", parse(R"({"batch": 1, "content": "A1."})"), 1),
            PersistOutcome::kWritten);
  EXPECT_EQ(content_of(*log_, "a"), "A1.");
}

// Original: recovered no id from a string payload, wrote id 1 again and then
// retrieved {'content': '', 'batch': None}.
TEST_F(Example4ClearAndPlainStrings, PlainStringIdIsADuplicateAfterReopen) {
  log_.reset();
  auto log = open(3);
  EXPECT_EQ(mark_of(*log, "b"), 1u);
  EXPECT_EQ(*log->persist("b", Json("plain string payload"), 1), PersistOutcome::kDuplicate);
  EXPECT_EQ(names_with_prefix(client_dir("b"), "log_").size(), 1u);
  EXPECT_EQ(content_of(*log, "b"), "plain string payload");
}

// ---- Ex 5: crash windows, as the original left them on disk ------------------------

class Example5CrashWindows : public DataDirTest {
 protected:
  fs::path dir() const { return client_dir("c"); }

  // Logs 1-3 of "One.", "Two.", "Three." as the original wrote them.
  void write_logs_one_two_three() const {
    write_original_sentence_log(dir(), "COMPLETED", kT1, 1, "One.");
    write_original_sentence_log(dir(), "COMPLETED", kT2, 2, "Two.");
    write_original_sentence_log(dir(), "COMPLETED", kT3, 3, "Three.");
  }
};

// 5a. Original: kept the PROCESSING log forever, and counted it towards the threshold.
TEST_F(Example5CrashWindows, InterruptedLogIsRemovedAtOpen) {
  const fs::path done = write_original_sentence_log(dir(), "COMPLETED", kT1, 1, "Sentence 1.");
  const fs::path interrupted =
      write_original_sentence_log(dir(), "PROCESSING", kT2, 2, "Sentence 2.");
  auto log = open(3);
  EXPECT_EQ(list_names(dir()), std::vector<std::string>{done.filename().string()});
  EXPECT_TRUE(reported(log->recovery_report(), interrupted, "removed"));
}

// 5a. Original: ignored it in retrieve and in id recovery too.
TEST_F(Example5CrashWindows, InterruptedLogIsNotPartOfTheState) {
  write_original_sentence_log(dir(), "COMPLETED", kT1, 1, "Sentence 1.");
  write_original_sentence_log(dir(), "PROCESSING", kT2, 2, "Sentence 2.");
  auto log = open(3);
  EXPECT_EQ(content_of(*log, "c"), "Sentence 1.");
  EXPECT_EQ(mark_of(*log, "c"), 1u);
}

// 5a. Original: wrote it too.
TEST_F(Example5CrashWindows, RedeliveryOfTheInterruptedIdIsWritten) {
  write_original_sentence_log(dir(), "COMPLETED", kT1, 1, "Sentence 1.");
  write_original_sentence_log(dir(), "PROCESSING", kT2, 2, "Sentence 2.");
  auto log = open(3);
  EXPECT_EQ(*log->persist("c", sentence(2), 2), PersistOutcome::kWritten);
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 2));
}

// 5a, torn by the in-place status flip (W1). Original: kept the empty file.
TEST_F(Example5CrashWindows, LogEmptiedByTheStatusFlipIsRemovedAtOpen) {
  write_original_sentence_log(dir(), "COMPLETED", kT1, 1, "Sentence 1.");
  write_bytes(dir() / (std::string("log_") + kT2 + "_2.log"), "");
  auto log = open(3);
  EXPECT_EQ(names_with_prefix(dir(), "log_").size(), 1u);
  EXPECT_EQ(content_of(*log, "c"), "Sentence 1.");
}

// 5b. Original: kept the logs until a restart, retrieving "One. Two. Three. One. Two. Three.".
TEST_F(Example5CrashWindows, LogsCoveredByACompletedCheckpointAreRemovedAtOpen) {
  write_logs_one_two_three();
  const fs::path checkpoint =
      write_original_checkpoint(dir(), "COMPLETED", kT4, "One. Two. Three.", "3");
  auto log = open(3);
  EXPECT_EQ(list_names(dir()), std::vector<std::string>{checkpoint.filename().string()});
}

// 5b. Original: "One. Two. Three. One. Two. Three." before a restart.
TEST_F(Example5CrashWindows, CheckpointAndTheLogsItCoversAreNotJoinedTwice) {
  write_logs_one_two_three();
  write_original_checkpoint(dir(), "COMPLETED", kT4, "One. Two. Three.", "3");
  auto log = open(3);
  EXPECT_EQ(*log->retrieve("c"), parse(R"({"content": "One. Two. Three."})"));
}

// 5b, later in the same window: the logs are gone, the old checkpoint not yet.
// Original: deleted it at start-up too.
TEST_F(Example5CrashWindows, OlderCheckpointBesideANewerOneIsRemovedAtOpen) {
  const fs::path older = write_original_checkpoint(dir(), "COMPLETED", kT1, "One.", "1");
  const fs::path newer =
      write_original_checkpoint(dir(), "COMPLETED", kT4, "One. Two. Three.", "3");
  auto log = open(3);
  EXPECT_EQ(list_names(dir()), std::vector<std::string>{newer.filename().string()});
  EXPECT_TRUE(reported(log->recovery_report(), older, "removed"));
  EXPECT_EQ(content_of(*log, "c"), "One. Two. Three.");
}

// 5c. Original: deleted it at start-up too.
TEST_F(Example5CrashWindows, InterruptedCheckpointIsRemovedAndItsLogsKept) {
  write_logs_one_two_three();
  const fs::path checkpoint =
      write_original_checkpoint(dir(), "PROCESSING", kT4, "One. Two. Three.", "3");
  auto log = open(3);
  EXPECT_FALSE(fs::exists(checkpoint));
  EXPECT_EQ(names_with_prefix(dir(), "log_").size(), 3u);
  EXPECT_TRUE(reported(log->recovery_report(), checkpoint, "removed"));
}

// 5c. Original: 'One. Two. Three.' too.
TEST_F(Example5CrashWindows, InterruptedCheckpointLeavesTheStateOfItsLogs) {
  write_logs_one_two_three();
  write_original_checkpoint(dir(), "PROCESSING", kT4, "One. Two. Three.", "3");
  auto log = open(3);
  EXPECT_EQ(content_of(*log, "c"), "One. Two. Three.");
  EXPECT_EQ(mark_of(*log, "c"), 3u);
}

// 5d: an older valid checkpoint, log 4, and a newer checkpoint torn mid-JSON.
class Example5TornCheckpoint : public Example5CrashWindows {
 protected:
  void SetUp() override {
    older_ = write_original_checkpoint(dir(), "COMPLETED", kT3, "S1. S2. S3.", "3");
    write_original_sentence_log(dir(), "COMPLETED", kT4, 4, "S4.");
    torn_ = dir() / (std::string("checkpoint_") + kT5 + ".log");
    write_bytes(torn_, "COMPLETED\n{\"content\": \"S1. S2. S3. S4. S5");
    log_ = open(3);
    ASSERT_NE(log_, nullptr);
  }

  fs::path older_;
  fs::path torn_;
  std::unique_ptr<WriteAheadLog> log_;
};

// Original: silently fell back to the logs alone (retrieve gave 'S4.').
TEST_F(Example5TornCheckpoint, ClientIsReportedDamagedNamingTheTornFile) {
  const std::vector<Status>& damaged = log_->recovery_report().damaged_clients;
  ASSERT_EQ(damaged.size(), 1u);
  EXPECT_EQ(damaged[0].code(), Code::kCorruption);
  EXPECT_EQ(damaged[0].path(), torn_.string());
}

// Original: deleted the older checkpoint at start-up, losing S1-S3 for good.
TEST_F(Example5TornCheckpoint, OlderCheckpointIsNotDeleted) {
  EXPECT_EQ(read_bytes(older_),
            original_file("COMPLETED", original_checkpoint_json(R"("S1. S2. S3.")", kT3, "3")));
  EXPECT_EQ(list_names(dir()).size(), 3u);
}

// Original: retrieve answered 'S4.' and persist wrote on top of the damage.
TEST_F(Example5TornCheckpoint, DamagedClientRefusesCalls) {
  EXPECT_EQ(log_->retrieve("c").status().code(), Code::kCorruption);
  EXPECT_EQ(log_->persist("c", sentence(5), 5).status().code(), Code::kCorruption);
}

// Original: other clients were unaffected too.
TEST_F(Example5TornCheckpoint, OtherClientsStillWork) {
  EXPECT_EQ(*log_->persist("other", sentence(1), 1), PersistOutcome::kWritten);
  EXPECT_EQ(content_of(*log_, "other"), "Sentence 1.");
}

// 5e: every call of the clock returns the same millisecond.
class Example5FrozenClock : public DataDirTest {
 protected:
  std::shared_ptr<Storage> frozen_clock() const {
    auto storage = std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
    storage->set_clock(1795558512484, 0);
    return storage;
  }
};

// Original: the second checkpoint overwrote the first and was then deleted as
// "the old one": the folder was empty and retrieve returned None.
TEST_F(Example5FrozenClock, SixMessagesInOneMillisecondAreAllKept) {
  {
    auto log = open(3, frozen_clock());
    persist_sentences(*log, "c", 1, 6);
    EXPECT_EQ(content_of(*log, "c"), sentences(1, 6));
  }
  auto log = open(3);
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 6));
}

// Original: both checkpoints were named checkpoint_<same ms>.log.
TEST_F(Example5FrozenClock, EveryCheckpointGetsANewName) {
  auto log = open(3, frozen_clock());
  persist_sentences(*log, "c", 1, 3);
  const std::string first = only_file_with_prefix(client_dir("c"), "checkpoint_");
  persist_sentences(*log, "c", 4, 6);
  const std::string second = only_file_with_prefix(client_dir("c"), "checkpoint_");
  EXPECT_NE(second, first);
}

}  // namespace
}  // namespace wal::testing
