// What survives a crash or an I/O error, one test per anomaly.
//
// A "crash after call k" lets k storage calls through and fails every later
// one, then reopens the directory with a fresh storage: what a restarted
// process finds after a kill at that instant (the page cache survives; power
// cuts that drop unsynced data are a harder test of their own).
#include "fault_injection_storage.h"
#include "test_util.h"

namespace wal::testing {
namespace {

class DurabilityTest : public ::testing::Test {
 protected:
  fs::path data() const { return dir_->path() / "data"; }
  fs::path folder(const std::string& client) const { return data() / client; }

  // A log whose storage injects faults.
  std::unique_ptr<WriteAheadLog> open_faulty(uint32_t threshold = 3) {
    faulty_ = std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
    auto options = options_for(data(), threshold);
    options.on_warning = [this](const Status& status) { warnings_.push_back(status); };
    return open_log(options, faulty_);
  }
  std::unique_ptr<WriteAheadLog> reopen(uint32_t threshold = 3) {
    return open_log(options_for(data(), threshold));
  }
  void fresh_directory() { dir_ = std::make_unique<TempDir>(); }
  // Crashes at every storage call of persisting message `id` after 1..id-1,
  // then checks what a restart finds; returns the number of crash points.
  int crash_at_every_call_of_persist(uint64_t id);

  // No temporary or interrupted file is left anywhere under the base directory.
  void expect_no_debris() {
    for (const auto& entry : fs::recursive_directory_iterator(data())) {
      const std::string name = entry.path().filename();
      EXPECT_EQ(name.find(".tmp"), std::string::npos) << entry.path();
      if (entry.path().parent_path().filename() == ".trash") ADD_FAILURE() << entry.path();
    }
  }

  std::unique_ptr<TempDir> dir_ = std::make_unique<TempDir>();
  std::shared_ptr<FaultInjectionStorage> faulty_;
  std::vector<Status> warnings_;
};

// test_util's persist_sentences, here for client "c" unless another is named.
using wal::testing::persist_sentences;
void persist_sentences(WriteAheadLog& log, uint64_t first, uint64_t last) {
  persist_sentences(log, "c", first, last);
}

int DurabilityTest::crash_at_every_call_of_persist(uint64_t id) {
  return crash_at_every_call(
      [&] {
        fresh_directory();
        auto log = open_faulty();
        persist_sentences(*log, 1, id - 1);
        return std::make_pair(std::move(log), faulty_);
      },
      [id](WriteAheadLog& log) { return log.persist("c", sentence(id), id).is_ok(); },
      [&](bool acknowledged, int k) {
        auto recovered = reopen();
        ASSERT_NE(recovered, nullptr) << "crash after call " << k;
        expect_no_debris();  // start-up removed it (a live instance keeps spares)
        const std::string content = (*recovered->retrieve("c"))["content"];
        if (acknowledged) {
          EXPECT_EQ(content, sentences(1, id)) << "crash after call " << k;
        } else {
          // Never acknowledged: it may be there whole, or not at all.
          EXPECT_TRUE(content == sentences(1, id - 1) || content == sentences(1, id)) << content;
        }
        const bool present = content == sentences(1, id);
        EXPECT_EQ(*recovered->persist("c", sentence(id), id),
                  present ? PersistOutcome::kDuplicate : PersistOutcome::kWritten);
        EXPECT_EQ((*recovered->retrieve("c"))["content"], sentences(1, id));
      });
}

TEST_F(DurabilityTest, CrashAtEveryCallOfPersistKeepsWhatWasAcknowledged) {
  // Message 5 is a log file written over a spare; message 6 goes straight
  // into the second checkpoint, whose calls include making spares of the
  // files it replaces; message 9 into the third, written over the first.
  EXPECT_GE(crash_at_every_call_of_persist(5), 6);
  EXPECT_GE(crash_at_every_call_of_persist(6), 8);
  EXPECT_GE(crash_at_every_call_of_persist(9), 8);
}

TEST_F(DurabilityTest, CrashAtEveryCallOfClearLeavesAllOrNothing) {
  crash_at_every_call(
      [&] {
        fresh_directory();
        auto log = open_faulty();
        persist_sentences(*log, 1, 4);
        return std::make_pair(std::move(log), faulty_);
      },
      [](WriteAheadLog& log) { return log.clear("c").is_ok(); },
      [&](bool acknowledged, int k) {
        auto recovered = reopen();
        ASSERT_NE(recovered, nullptr);
        const std::string content = (*recovered->retrieve("c"))["content"];
        if (acknowledged) {
          EXPECT_EQ(content, "") << "crash after call " << k;
        } else {
          EXPECT_TRUE(content.empty() || content == sentences(1, 4)) << content;
        }
        expect_no_debris();
      });
}

TEST_F(DurabilityTest, CrashAtEveryCallOfStartUpThenStartUpAgain) {
  // Debris of every kind, then start-ups that die after k calls.
  const auto make_debris = [&] {
    auto log = reopen();
    persist_sentences(*log, 1, 4);
    log.reset();
    write_bytes(folder("c") / "log_1_9.log.tmp", "COMPLETED\n{\"da");
    write_bytes(folder("c") / "log_1_8.log", "PROCESSING\n{\"data\": {}}");
    write_bytes(folder("c") / "log_1_2.log",
                "COMPLETED\n{\"data\": {\"content\": \"Sentence 2.\"}, \"_metadata\": "
                "{\"timestamp\": \"1\", \"message_id\": 2}}");
    write_bytes(folder("c") / "checkpoint_1.log",
                "COMPLETED\n{\"content\": \"old\", \"_metadata\": {\"timestamp\": \"1\", "
                "\"max_message_id\": 1}}");
  };
  for (int k = 0;; ++k) {
    fresh_directory();
    make_debris();
    faulty_ = std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
    faulty_->crash_after(k);
    auto crashed = WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(), faulty_,
                                       options_for(data()));
    const bool finished = crashed.is_ok() && faulty_->calls() <= k;
    crashed = Status::failed("closed");  // releases the lock

    auto recovered = reopen();
    ASSERT_NE(recovered, nullptr) << "crash after call " << k;
    EXPECT_EQ((*recovered->retrieve("c"))["content"], sentences(1, 4)) << "crash after call " << k;
    EXPECT_EQ(names_with_prefix(folder("c"), "checkpoint_").size(), 1u);
    expect_no_debris();
    if (finished) break;
  }
}

TEST_F(DurabilityTest, FailedFileSyncIsStickyUntilReopened) {
  auto log = open_faulty();
  persist_sentences(*log, 1, 1);
  faulty_->fail(Op::kSync, 1, EIO);
  auto outcome = log->persist("c", sentence(2), 2);
  EXPECT_EQ(outcome.status().code(), Code::kFailed);
  EXPECT_NE(outcome.status().message().find("until it is reopened"), std::string::npos);
  EXPECT_EQ(log->health().code(), Code::kFailed);
  // The fault is gone, but the instance does not trust the kernel any more.
  EXPECT_EQ(log->persist("c", sentence(3), 3).status().code(), Code::kFailed);
  EXPECT_EQ(log->clear("c").code(), Code::kFailed);
  log.reset();

  auto reopened = reopen();
  EXPECT_TRUE(reopened->health().is_ok());
  EXPECT_EQ((*reopened->retrieve("c"))["content"], "Sentence 1.");
  EXPECT_EQ(*reopened->persist("c", sentence(2), 2), PersistOutcome::kWritten);
  expect_no_debris();
}

TEST_F(DurabilityTest, FailedDirectorySyncIsSticky) {
  auto log = open_faulty();
  faulty_->fail(Op::kSyncDir, 1, EIO);
  EXPECT_EQ(log->persist("c", sentence(1), 1).status().code(), Code::kFailed);
  EXPECT_EQ(log->persist("c", sentence(2), 2).status().code(), Code::kFailed);
}

TEST_F(DurabilityTest, FullDiskIsReportedAndWritingResumes) {
  auto log = open_faulty();
  persist_sentences(*log, 1, 1);
  faulty_->fail(Op::kAppend, 1, ENOSPC);
  auto outcome = log->persist("c", sentence(2), 2);
  EXPECT_EQ(outcome.status().code(), Code::kNoSpace);
  EXPECT_TRUE(log->health().is_ok());
  expect_no_debris();
  EXPECT_EQ(*log->persist("c", sentence(2), 2), PersistOutcome::kWritten);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 2));
}

TEST_F(DurabilityTest, FailedRenameLeavesNoDebrisAndIsNotSticky) {
  auto log = open_faulty();
  faulty_->fail(Op::kRename, 1, EACCES);
  EXPECT_EQ(log->persist("c", sentence(1), 1).status().code(), Code::kIOError);
  expect_no_debris();
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
}

TEST_F(DurabilityTest, FailedFolderCreationIsReported) {
  auto log = open_faulty();
  faulty_->fail(Op::kCreateDir, 1, EACCES);
  auto outcome = log->persist("c", sentence(1), 1);
  EXPECT_EQ(outcome.status().code(), Code::kIOError);
  EXPECT_EQ(outcome.status().error_number(), EACCES);
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
}

TEST_F(DurabilityTest, FailedCheckpointIsReportedAndRetried) {
  auto log = open_faulty();
  persist_sentences(*log, 1, 2);
  // The 3rd message goes into the checkpoint it completes: create #1. It
  // fails, so the message is written as a log file instead.
  faulty_->fail(Op::kCreate, 1, ENOSPC);
  EXPECT_EQ(*log->persist("c", sentence(3), 3), PersistOutcome::kWritten);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_EQ(warnings_[0].code(), Code::kNoSpace);
  EXPECT_NE(warnings_[0].message().find("will be retried"), std::string::npos);
  EXPECT_EQ(names_with_prefix(folder("c"), "log_").size(), 3u);
  EXPECT_TRUE(names_with_prefix(folder("c"), "checkpoint_").empty());

  EXPECT_EQ(*log->persist("c", sentence(4), 4), PersistOutcome::kWritten);
  EXPECT_TRUE(names_with_prefix(folder("c"), "log_").empty());
  EXPECT_EQ(names_with_prefix(folder("c"), "checkpoint_").size(), 1u);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 4));
}

// A checkpoint is written as it is serialised, in pieces: a full disk on a
// later piece is a failed checkpoint like any other, with no debris left.
TEST_F(DurabilityTest, CheckpointFillingTheDiskPartWayIsRetriedAndLeavesNoDebris) {
  auto log = open_faulty();
  const auto big = [](uint64_t id) {
    return Json{{"content", std::string(50000, static_cast<char>('a' + id))}};
  };
  std::string expected;
  for (uint64_t id = 1; id <= 2; ++id) {
    ASSERT_EQ(*log->persist("c", big(id), id), PersistOutcome::kWritten);
    expected += (id > 1 ? " " : "") + big(id)["content"].get<std::string>();
  }
  faulty_->start_trace();
  faulty_->fail(Op::kAppend, 2, ENOSPC);  // the checkpoint's second piece
  EXPECT_EQ(*log->persist("c", big(3), 3), PersistOutcome::kWritten);
  expected += " " + big(3)["content"].get<std::string>();
  int checkpoint_appends = 0;
  for (const auto& [op, path] : faulty_->trace()) {
    checkpoint_appends += op == Op::kAppend && path.find("checkpoint_") != std::string::npos;
  }
  EXPECT_EQ(checkpoint_appends, 2);  // the first piece, then the one that failed
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_EQ(warnings_[0].code(), Code::kNoSpace);
  EXPECT_TRUE(log->health().is_ok());
  expect_no_debris();
  EXPECT_EQ(names_with_prefix(folder("c"), "log_").size(), 3u);
  EXPECT_TRUE(names_with_prefix(folder("c"), "checkpoint_").empty());

  EXPECT_EQ(*log->persist("c", big(4), 4), PersistOutcome::kWritten);
  expected += " " + big(4)["content"].get<std::string>();
  EXPECT_EQ(names_with_prefix(folder("c"), "checkpoint_").size(), 1u);
  EXPECT_EQ((*log->retrieve("c"))["content"], expected);
  log.reset();
  EXPECT_EQ((*reopen()->retrieve("c"))["content"], expected);
}

// ---- spares ------------------------------------------------------------------

// The storage calls of persisting `id`, as (op, file name).
std::vector<std::pair<Op, std::string>> calls_of_persist(WriteAheadLog& log,
                                                         FaultInjectionStorage& storage,
                                                         uint64_t id) {
  storage.start_trace();
  EXPECT_EQ(*log.persist("c", sentence(id), id), PersistOutcome::kWritten);
  std::vector<std::pair<Op, std::string>> calls;
  for (const auto& [op, path] : storage.trace()) calls.emplace_back(op, fs::path(path).filename());
  return calls;
}

int count_op(const std::vector<std::pair<Op, std::string>>& calls, Op op) {
  return static_cast<int>(std::count_if(calls.begin(), calls.end(),
                                        [op](const auto& call) { return call.first == op; }));
}

// A checkpoint renames the files it replaces to temporary names instead of
// removing them, and the next files are written over those: no file is
// created or removed once a client has spares.
TEST_F(DurabilityTest, ReplacedFilesBecomeSparesThatLaterFilesAreWrittenOver) {
  auto log = open_faulty();
  persist_sentences(*log, 1, 3);  // logs 1 and 2, then checkpoint 3
  EXPECT_EQ(temp_names(folder("c")).size(), 2u);

  const auto log_over_spare = calls_of_persist(*log, *faulty_, 4);
  EXPECT_EQ(count_op(log_over_spare, Op::kCreate), 0);
  EXPECT_EQ(count_op(log_over_spare, Op::kOpen), 1);
  EXPECT_EQ(count_op(log_over_spare, Op::kTruncate), 1);
  EXPECT_EQ(count_op(log_over_spare, Op::kSync), 1);
  EXPECT_EQ(temp_names(folder("c")).size(), 1u);

  persist_sentences(*log, 5, 8);  // checkpoint 6 makes checkpoint 3 a spare
  const auto checkpoint_over_spare = calls_of_persist(*log, *faulty_, 9);
  EXPECT_EQ(count_op(checkpoint_over_spare, Op::kCreate), 0);
  EXPECT_EQ(count_op(checkpoint_over_spare, Op::kRemove), 0);
  EXPECT_EQ(count_op(checkpoint_over_spare, Op::kOpen), 1);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 9));
  log.reset();
  EXPECT_EQ((*reopen()->retrieve("c"))["content"], sentences(1, 9));
}

// A client keeps at most checkpoint_threshold log spares; a checkpoint that
// replaces more logs (here ten, left under a higher threshold) removes the rest.
TEST_F(DurabilityTest, SparesAreBounded) {
  {
    auto log = open_faulty(/*threshold=*/100);
    persist_sentences(*log, 1, 10);
  }
  auto log = open_faulty(/*threshold=*/3);
  persist_sentences(*log, 11, 11);
  EXPECT_TRUE(names_with_prefix(folder("c"), "log_").empty());
  EXPECT_EQ(temp_names(folder("c")).size(), 3u)
      << ::testing::PrintToString(list_names(folder("c")));
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 11));
}

TEST_F(DurabilityTest, SparesAreRemovedAtStartUp) {
  auto log = open_faulty();
  persist_sentences(*log, 1, 6);
  ASSERT_FALSE(temp_names(folder("c")).empty());
  log.reset();
  auto reopened = reopen();
  EXPECT_TRUE(temp_names(folder("c")).empty());
  EXPECT_EQ((*reopened->retrieve("c"))["content"], sentences(1, 6));
}

// A spare is written over from its start and cut to what was written: a
// short record over a long spare reads back exactly, after a restart too.
TEST_F(DurabilityTest, ShortFileWrittenOverALongSpareIsCutToItsLength) {
  auto log = open_faulty();
  std::string expected;
  const auto persist_content = [&](uint64_t id, const std::string& content) {
    ASSERT_EQ(*log->persist("c", Json{{"content", content}}, id), PersistOutcome::kWritten);
    expected += (expected.empty() ? "" : " ") + content;
  };
  persist_content(1, std::string(5000, 'a'));
  persist_content(2, std::string(5000, 'b'));
  persist_content(3, "c");  // the checkpoint: logs 1 and 2 become spares
  faulty_->start_trace();
  persist_content(4, "d");
  ASSERT_EQ(count_op(faulty_->trace(), Op::kTruncate), 1);
  const std::vector<std::string> logs = names_with_prefix(folder("c"), "log_");
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_LT(fs::file_size(folder("c") / logs[0]), 200u);
  log.reset();
  EXPECT_EQ((*reopen()->retrieve("c"))["content"], expected);
}

// Writing over a spare can fail as a new file can (an I/O error, here at its
// write or its cut): the message is not written, that spare is removed, the
// instance goes on, and the retry writes the message.
TEST_F(DurabilityTest, FailedWriteOverASpareIsNotStickyAndRemovesIt) {
  for (const Op op : {Op::kWriteAt, Op::kTruncate}) {
    fresh_directory();
    auto log = open_faulty();
    persist_sentences(*log, 1, 3);
    ASSERT_EQ(temp_names(folder("c")).size(), 2u);
    faulty_->fail(op, 1, EIO);
    EXPECT_EQ(log->persist("c", sentence(4), 4).status().code(), Code::kIOError);
    EXPECT_TRUE(log->health().is_ok());
    EXPECT_EQ(temp_names(folder("c")).size(), 1u);
    EXPECT_EQ(*log->persist("c", sentence(4), 4), PersistOutcome::kWritten);
    EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 4));
  }
}

// A full disk takes the spares away: their space is given back, and the
// write is tried once more, now in a new file.
TEST_F(DurabilityTest, FullDiskGivesTheSparesSpaceBackAndTriesOnceMore) {
  auto log = open_faulty();
  persist_sentences(*log, 1, 3);
  ASSERT_EQ(temp_names(folder("c")).size(), 2u);
  faulty_->fail(Op::kWriteAt, 1, ENOSPC);
  faulty_->start_trace();
  EXPECT_EQ(*log->persist("c", sentence(4), 4), PersistOutcome::kWritten);
  EXPECT_EQ(count_op(faulty_->trace(), Op::kCreate), 1);  // no spare left: a new file
  EXPECT_TRUE(temp_names(folder("c")).empty());
  EXPECT_TRUE(log->health().is_ok());
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 4));
  log.reset();
  EXPECT_EQ((*reopen()->retrieve("c"))["content"], sentences(1, 4));
}

// The spares of other clients make room too: a client with none of its own
// takes theirs away, and its write fits.
TEST_F(DurabilityTest, FullDiskGivesOtherClientsSparesBack) {
  auto log = open_faulty();
  persist_sentences(*log, "a", 1, 3);  // logs 1 and 2 become spares
  ASSERT_EQ(temp_names(folder("a")).size(), 2u);
  faulty_->fail(Op::kAppend, 1, ENOSPC);  // the new client's first file
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
  EXPECT_TRUE(temp_names(folder("a")).empty());
  EXPECT_EQ((*log->retrieve("a"))["content"], sentences(1, 3));
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 1));
}

// A new client's folder needs a block on ext4: a full disk there takes the
// other clients' spares too, and the folder is made.
TEST_F(DurabilityTest, FullDiskAtANewClientsFolderGivesOtherClientsSparesBack) {
  auto log = open_faulty();
  persist_sentences(*log, "a", 1, 3);  // logs 1 and 2 become spares
  ASSERT_EQ(temp_names(folder("a")).size(), 2u);
  faulty_->fail(Op::kCreateDir, 1, ENOSPC);
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
  EXPECT_TRUE(temp_names(folder("a")).empty());
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 1));
}

// Without spares to give back, a full disk is reported at once: no second try.
TEST_F(DurabilityTest, FullDiskWithoutSparesIsReported) {
  auto log = open_faulty();
  faulty_->fail(Op::kAppend, 1, ENOSPC);
  faulty_->start_trace();
  EXPECT_EQ(log->persist("c", sentence(1), 1).status().code(), Code::kNoSpace);
  EXPECT_EQ(count_op(faulty_->trace(), Op::kCreate), 1);
  EXPECT_TRUE(log->health().is_ok());
  expect_no_debris();
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
}

// A disk that stays full once the spares are gone is reported, not sticky.
TEST_F(DurabilityTest, DiskStillFullWithoutTheSparesIsReported) {
  auto log = open_faulty();
  persist_sentences(*log, 1, 3);
  faulty_->fail(Op::kWriteAt, 1, ENOSPC);
  faulty_->fail(Op::kAppend, 1, ENOSPC);
  EXPECT_EQ(log->persist("c", sentence(4), 4).status().code(), Code::kNoSpace);
  EXPECT_TRUE(temp_names(folder("c")).empty());
  EXPECT_TRUE(log->health().is_ok());
  EXPECT_EQ(*log->persist("c", sentence(4), 4), PersistOutcome::kWritten);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 4));
}

// A failed sync of a file written over a spare is as final as any other.
TEST_F(DurabilityTest, FailedSyncOfASpareIsSticky) {
  auto log = open_faulty();
  persist_sentences(*log, 1, 3);
  faulty_->fail(Op::kSync, 1, EIO);
  EXPECT_EQ(log->persist("c", sentence(4), 4).status().code(), Code::kFailed);
  EXPECT_EQ(log->persist("c", sentence(4), 4).status().code(), Code::kFailed);
  log.reset();
  EXPECT_EQ((*reopen()->retrieve("c"))["content"], sentences(1, 3));
}

// A spare that cannot be renamed to its final name is removed; the message
// was not written, and the instance goes on.
TEST_F(DurabilityTest, FailedRenameOfASpareRemovesItAndIsNotSticky) {
  auto log = open_faulty();
  persist_sentences(*log, 1, 3);
  faulty_->fail(Op::kRename, 1, EACCES);
  EXPECT_EQ(log->persist("c", sentence(4), 4).status().code(), Code::kIOError);
  EXPECT_EQ(temp_names(folder("c")).size(), 1u);
  EXPECT_TRUE(names_with_prefix(folder("c"), "log_").empty());
  EXPECT_EQ(*log->persist("c", sentence(4), 4), PersistOutcome::kWritten);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 4));
}

// A replaced file that cannot be renamed to a spare is removed instead.
TEST_F(DurabilityTest, ReplacedFileThatCannotBecomeASpareIsRemoved) {
  auto log = open_faulty();
  persist_sentences(*log, 1, 2);
  // Message 3's checkpoint: its own rename, then one for each replaced log.
  faulty_->fail(Op::kRename, 2, EACCES);
  EXPECT_EQ(*log->persist("c", sentence(3), 3), PersistOutcome::kWritten);
  EXPECT_TRUE(warnings_.empty());
  EXPECT_TRUE(names_with_prefix(folder("c"), "log_").empty());
  EXPECT_EQ(temp_names(folder("c")).size(), 1u);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 3));
}

// A spare that will not open is removed, and the file is created anew.
TEST_F(DurabilityTest, SpareThatWillNotOpenIsRemovedAndAFileCreated) {
  auto log = open_faulty();
  persist_sentences(*log, 1, 3);
  faulty_->fail(Op::kOpen, 1, EMFILE);
  EXPECT_EQ(*log->persist("c", sentence(4), 4), PersistOutcome::kWritten);
  EXPECT_EQ(temp_names(folder("c")).size(), 1u);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 4));
}

// A spare removed behind the instance's back (by an operator tidying .tmp
// files) costs nothing: the file is created anew.
TEST_F(DurabilityTest, SpareThatIsGoneIsReplacedByANewFile) {
  auto log = open_faulty();
  persist_sentences(*log, 1, 3);
  for (const std::string& name : temp_names(folder("c"))) fs::remove(folder("c") / name);
  EXPECT_EQ(*log->persist("c", sentence(4), 4), PersistOutcome::kWritten);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 4));
  log.reset();
  EXPECT_EQ((*reopen()->retrieve("c"))["content"], sentences(1, 4));
}

// A clear takes the spares away with the folder; the client starts afresh.
TEST_F(DurabilityTest, ClearTakesTheSparesWithTheFolder) {
  auto log = open_faulty();
  persist_sentences(*log, 1, 3);
  ASSERT_TRUE(log->clear("c").is_ok());
  faulty_->start_trace();
  persist_sentences(*log, 1, 1);
  EXPECT_EQ(count_op(faulty_->trace(), Op::kOpen), 0);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 1));
}

// The message that brings a client to the threshold goes into the
// checkpoint it completes: no log file of it is ever made, one file sync and
// one directory sync in all, and it is there after a restart.
TEST_F(DurabilityTest, MessageCompletingACheckpointIsWrittenOnlyInIt) {
  auto log = open_faulty();
  persist_sentences(*log, 1, 2);
  faulty_->start_trace();
  EXPECT_EQ(*log->persist("c", sentence(3), 3), PersistOutcome::kWritten);
  int file_syncs = 0;
  int directory_syncs = 0;
  for (const auto& [op, path] : faulty_->trace()) {
    if (op == Op::kCreate) {
      EXPECT_TRUE(fs::path(path).filename().string().starts_with("checkpoint_")) << path;
    }
    file_syncs += op == Op::kSync;
    directory_syncs += op == Op::kSyncDir;
  }
  EXPECT_EQ(file_syncs, 1);
  EXPECT_EQ(directory_syncs, 1);
  EXPECT_TRUE(names_with_prefix(folder("c"), "log_").empty());
  EXPECT_EQ(names_with_prefix(folder("c"), "checkpoint_").size(), 1u);
  EXPECT_TRUE(warnings_.empty());
  log.reset();

  auto reopened = reopen();
  EXPECT_EQ((*reopened->retrieve("c"))["content"], sentences(1, 3));
  EXPECT_EQ(*reopened->persist("c", sentence(3), 3), PersistOutcome::kDuplicate);
}

// A failed sync of that checkpoint acknowledges nothing and is sticky, as a
// failed sync of a log file is: the message is not written as a log instead.
TEST_F(DurabilityTest, FailedSyncOfTheCheckpointAMessageCompletesIsSticky) {
  auto log = open_faulty();
  persist_sentences(*log, 1, 2);
  faulty_->fail(Op::kSync, 1, EIO);
  EXPECT_EQ(log->persist("c", sentence(3), 3).status().code(), Code::kFailed);
  EXPECT_EQ(names_with_prefix(folder("c"), "log_").size(), 2u);
  EXPECT_EQ(log->persist("c", sentence(4), 4).status().code(), Code::kFailed);
  log.reset();

  auto reopened = reopen();
  expect_no_debris();
  EXPECT_EQ((*reopened->retrieve("c"))["content"], sentences(1, 2));
  EXPECT_EQ(*reopened->persist("c", sentence(3), 3), PersistOutcome::kWritten);
}

// When both that checkpoint and the log file that would replace it fail, the
// caller gets the error and no warning: nothing was written, nothing retried.
TEST_F(DurabilityTest, CheckpointAndLogBothFailingReportOneErrorAndNoWarning) {
  auto log = open_faulty();
  persist_sentences(*log, 1, 2);
  faulty_->fail(Op::kCreate, 1, ENOSPC, /*persistent=*/true);
  faulty_->start_trace();
  EXPECT_EQ(log->persist("c", sentence(3), 3).status().code(), Code::kNoSpace);
  EXPECT_TRUE(warnings_.empty());
  std::vector<std::string> tried;
  for (const auto& [op, path] : faulty_->trace()) {
    if (op == Op::kCreate) tried.push_back(fs::path(path).filename().string().substr(0, 4));
  }
  EXPECT_EQ(tried, (std::vector<std::string>{"chec", "log_"}));
  faulty_->heal();
  EXPECT_EQ(*log->persist("c", sentence(3), 3), PersistOutcome::kWritten);
  EXPECT_TRUE(names_with_prefix(folder("c"), "log_").empty());
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 3));
}

// persist_batch writes each message as persist does: the one that reaches
// the threshold goes into the checkpoint, the others are log files.
TEST_F(DurabilityTest, BatchCrossingTheThresholdPutsThatMessageInTheCheckpoint) {
  auto log = open_faulty();
  std::vector<PersistRequest> batch;
  for (uint64_t id = 1; id <= 5; ++id) batch.push_back(PersistRequest{"c", sentence(id), id});
  faulty_->start_trace();
  auto outcomes = log->persist_batch(batch);
  ASSERT_TRUE(outcomes.is_ok()) << outcomes.status().to_string();
  EXPECT_EQ(*outcomes, std::vector<PersistOutcome>(5, PersistOutcome::kWritten));
  // One sync per file made: four logs and the checkpoint (a log of message
  // 3 would be a sixth). Logs 4 and 5 are written over the spares of 1 and 2.
  int file_syncs = 0;
  int checkpoints = 0;
  for (const auto& [op, path] : faulty_->trace()) {
    file_syncs += op == Op::kSync;
    checkpoints +=
        op == Op::kCreate && fs::path(path).filename().string().starts_with("checkpoint_");
  }
  EXPECT_EQ(file_syncs, 5);
  EXPECT_EQ(checkpoints, 1);
  const std::vector<std::string> logs = names_with_prefix(folder("c"), "log_");
  ASSERT_EQ(logs.size(), 2u);
  EXPECT_TRUE(logs[0].ends_with("_4.log") && logs[1].ends_with("_5.log")) << logs[0] << logs[1];
  log.reset();
  EXPECT_EQ((*reopen()->retrieve("c"))["content"], sentences(1, 5));
}

TEST_F(DurabilityTest, FrozenClockStillGivesUniqueCheckpointNames) {
  auto log = open_faulty();
  faulty_->set_clock(1795558512484, 0);
  persist_sentences(*log, 1, 9);
  EXPECT_EQ(names_with_prefix(folder("c"), "checkpoint_").size(), 1u);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 9));
  log.reset();
  EXPECT_EQ((*reopen()->retrieve("c"))["content"], sentences(1, 9));
}

TEST_F(DurabilityTest, ClockSteppingBackKeepsNewerCheckpointsSortingLast) {
  auto log = open_faulty();
  faulty_->set_clock(1795558512484, -1000);
  persist_sentences(*log, 1, 6);
  log.reset();
  // A checkpoint that an older clock reading would have named first stays
  // older: start-up keeps the newest, which holds everything.
  write_bytes(folder("c") / "checkpoint_1795558000000.log",
              "COMPLETED\n{\"content\": \"stale\", \"_metadata\": {\"timestamp\": "
              "\"1795558000000\", \"max_message_id\": 1}}");
  auto reopened = reopen();
  EXPECT_EQ((*reopened->retrieve("c"))["content"], sentences(1, 6));
  const auto checkpoints = names_with_prefix(folder("c"), "checkpoint_");
  ASSERT_EQ(checkpoints.size(), 1u);
  EXPECT_GT(checkpoints[0], "checkpoint_1795558512484.log");
}

// The clock steps back an hour at every restart, and keeps stepping back
// between calls; after the last restart the real clock is a month behind
// the first. File names carry timestamps (log_<ts>_<id>.log), yet every
// message stays, in id order, exactly once; duplicates are still refused;
// and names keep sorting in the order they were written.
TEST_F(DurabilityTest, ClockGoingBackwardsAcrossRestartsKeepsEveryMessageInOrder) {
  const uint64_t month_ahead = FileSystemStorage().now_millis() + 30ull * 24 * 3600 * 1000;
  uint64_t id = 1;
  for (int restart = 0; restart < 3; ++restart) {
    auto log = open_faulty();
    faulty_->set_clock(month_ahead - static_cast<uint64_t>(restart) * 3600 * 1000, -1000);
    persist_sentences(*log, id, id + 3);  // 4 messages: a checkpoint each time
    EXPECT_EQ(*log->persist("c", sentence(id), id), PersistOutcome::kDuplicate);
    id += 4;
  }
  const uint64_t last = id - 1;
  auto log = reopen();  // the real clock: a month behind every name on disk
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, last));
  EXPECT_EQ(*log->persist("c", sentence(last), last), PersistOutcome::kDuplicate);
  EXPECT_EQ(*log->persist("c", sentence(last + 1), last + 1), PersistOutcome::kWritten);
  EXPECT_EQ(*log->persist("c", sentence(last + 2), last + 2), PersistOutcome::kWritten);
  log.reset();
  // Names sort as written: the checkpoint first, then the logs by id.
  std::vector<std::string> names = list_names(folder("c"));
  std::sort(names.begin(), names.end());
  std::vector<std::string> logs;
  for (const std::string& name : names) {
    if (name.starts_with("log_")) logs.push_back(name);
  }
  ASSERT_FALSE(logs.empty());
  const auto checkpoints = names_with_prefix(folder("c"), "checkpoint_");
  ASSERT_EQ(checkpoints.size(), 1u);
  const auto timestamp = [](const std::string& name, const char* prefix) {
    return std::stoull(name.substr(std::string(prefix).size()));
  };
  uint64_t previous = timestamp(checkpoints[0], "checkpoint_");
  for (const std::string& name : logs) {
    EXPECT_GE(timestamp(name, "log_"), previous)
        << name << " sorts before what was written earlier";
    previous = timestamp(name, "log_");
  }
  auto reopened = reopen();
  EXPECT_EQ((*reopened->retrieve("c"))["content"], sentences(1, last + 2));
  EXPECT_EQ(mark_of(*reopened, "c"), last + 2);
}

TEST_F(DurabilityTest, DamagedLogIsReportedNeverReturned) {
  {
    auto log = reopen(10);
    persist_sentences(*log, 1, 2);
    ASSERT_TRUE(log->persist("other", sentence(1), 1).is_ok());
  }
  const std::string log_name = names_with_prefix(folder("c"), "log_")[1];
  std::string bytes = read_bytes(folder("c") / log_name);
  bytes[bytes.find("Sentence 2") + 9] = '7';
  write_bytes(folder("c") / log_name, bytes);

  auto log = reopen(10);
  ASSERT_EQ(log->recovery_report().damaged_clients.size(), 1u);
  auto state = log->retrieve("c");
  ASSERT_EQ(state.status().code(), Code::kCorruption);
  EXPECT_NE(state.status().to_string().find(log_name), std::string::npos);
  EXPECT_NE(state.status().to_string().find("crc32c mismatch"), std::string::npos);
  EXPECT_EQ(log->persist("c", sentence(3), 3).status().code(), Code::kCorruption);
  EXPECT_TRUE(fs::exists(folder("c") / log_name));  // never deleted silently
  EXPECT_EQ((*log->retrieve("other"))["content"], "Sentence 1.");
  // Clearing the client is the operator's way out.
  ASSERT_TRUE(log->clear("c").is_ok());
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
}

TEST_F(DurabilityTest, LogWhoseNameAndRecordDisagreeIsDamage) {
  {
    auto log = reopen(10);
    persist_sentences(*log, 1, 1);
  }
  const std::string name = names_with_prefix(folder("c"), "log_")[0];
  fs::rename(folder("c") / name, folder("c") / "log_1_5.log");
  auto log = reopen(10);
  auto state = log->retrieve("c");
  EXPECT_EQ(state.status().code(), Code::kCorruption);
  EXPECT_NE(state.status().message().find("its name says 5"), std::string::npos);
}

TEST_F(DurabilityTest, TemporaryFilesAreRemovedAtStartUp) {
  write_bytes(folder("c") / "log_5_5.log.tmp", "COMPLETED\n{\"data\"");
  write_bytes(folder("c") / "checkpoint_5.log.tmp", "COMPLE");
  auto log = reopen();
  EXPECT_TRUE(list_names(folder("c")).empty());
  EXPECT_EQ(log->recovery_report().events.size(), 2u);
  EXPECT_EQ(*log->persist("c", sentence(5), 5), PersistOutcome::kWritten);
}

// A new directory opened under kExact writes .wal.dedup under a temporary
// name first: a crash before the rename leaves .wal.dedup.tmp and no policy,
// so the directory opens under either, and start-up removes the debris.
TEST_F(DurabilityTest, DedupPolicyTempFileLeftByCrashIsRemovedOnOpen) {
  auto crashing = std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
  crashing->fail(Op::kRename, 1, EIO, /*persistent=*/true);
  WriteAheadLogOptions exact = options_for(data());
  exact.dedup.policy = DedupPolicy::kExact;
  ASSERT_FALSE(
      WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(), crashing, exact).is_ok());
  const fs::path temp = data() / ".wal.dedup.tmp";
  ASSERT_TRUE(fs::exists(temp));

  auto log = reopen();
  ASSERT_NE(log, nullptr);
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_TRUE(reported(log->recovery_report(), temp, "removed"));
  EXPECT_FALSE(reported(log->recovery_report(), temp, "ignored"));
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
}

}  // namespace
}  // namespace wal::testing
