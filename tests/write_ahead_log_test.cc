// The WriteAheadLog contract: outcomes, dedup, state, clear, locking, threads,
// for every layout (and the segmented one with snapshots taken all the time,
// and with its background threads on).
#include <map>
#include <thread>

#include "fault_injection_storage.h"
#include "test_util.h"

namespace wal::testing {
namespace {

enum class Variant { kSeed, kSegmented, kSegmentedEagerSnapshots, kSegmentedBackground };

std::string variant_name(const ::testing::TestParamInfo<Variant>& info) {
  switch (info.param) {
    case Variant::kSeed:
      return "Seed";
    case Variant::kSegmented:
      return "Segmented";
    case Variant::kSegmentedEagerSnapshots:
      return "SegmentedEagerSnapshots";
    case Variant::kSegmentedBackground:
      return "SegmentedBackground";
  }
  return "Unknown";
}

WriteAheadLogOptions options_for_variant(Variant variant, const fs::path& dir,
                                         uint32_t threshold = 3) {
  if (variant == Variant::kSeed) return options_for(dir, threshold);
  WriteAheadLogOptions options = segmented_options_for(dir);
  options.checkpoint_threshold = threshold;
  if (variant == Variant::kSegmentedEagerSnapshots) {
    // A snapshot after every write, segments rotated and retired every few.
    options.segmented.checkpoint_bytes = 1;
    options.segmented.segment_bytes = 4096;
  }
  if (variant == Variant::kSegmentedBackground) {
    options.segmented.background_work = true;
    options.segmented.checkpoint_bytes = 2048;
    options.segmented.segment_bytes = 8192;
  }
  return options;
}

// Every file under `dir` with its contents: what a call changed on disk.
std::map<std::string, std::string> tree_contents(const fs::path& dir) {
  std::map<std::string, std::string> contents;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    contents[entry.path().string()] = entry.is_regular_file() ? read_bytes(entry.path()) : "/";
  }
  return contents;
}

class WriteAheadLogTest : public ::testing::TestWithParam<Variant> {
 protected:
  WriteAheadLogOptions options(uint32_t threshold = 3) const {
    return options_for_variant(GetParam(), dir_.path() / "data", threshold);
  }
  std::unique_ptr<WriteAheadLog> open(uint32_t threshold = 3) {
    return open_log(options(threshold));
  }
  bool seed() const { return GetParam() == Variant::kSeed; }
  // Waits until background work has prepared the next segment, so that the
  // directory changes only through the calls a test makes.
  void settle() const {
    if (GetParam() != Variant::kSegmentedBackground) return;
    for (int i = 0; i < 500; ++i) {
      // One listing for both counts: a second one could see a preparation
      // that began after the first found no temporary file.
      const auto names = list_names(dir_.path() / "data");
      const auto temp = std::count_if(names.begin(), names.end(),
                                      [](const std::string& n) { return n.ends_with(".tmp"); });
      const auto segments = std::count_if(names.begin(), names.end(), [](const std::string& n) {
        return n.starts_with("segment-") && !n.ends_with(".tmp");
      });
      if (segments >= 2 && temp == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "the next segment was never prepared";
  }
  fs::path client_folder(const std::string& client) const { return dir_.path() / "data" / client; }

  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Layouts, WriteAheadLogTest,
                         ::testing::Values(Variant::kSeed, Variant::kSegmented,
                                           Variant::kSegmentedEagerSnapshots,
                                           Variant::kSegmentedBackground),
                         variant_name);

// What only the seed layout shows: one folder per client, checkpoint files.
class SeedWriteAheadLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<WriteAheadLog> open(uint32_t threshold = 3) {
    return open_log(options_for(dir_.path() / "data", threshold));
  }
  // Opens on a storage that records every call, with `cache_bytes` of
  // checkpoint states kept.
  std::unique_ptr<WriteAheadLog> open_traced(size_t cache_bytes) {
    traced_ = std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
    WriteAheadLogOptions options = options_for(dir_.path() / "data", 3);
    options.checkpoint_cache_bytes = cache_bytes;
    auto log = open_log(options, traced_);
    traced_->start_trace();
    return log;
  }
  // How many whole-file reads of a checkpoint the traced storage saw.
  size_t checkpoint_reads() const {
    const auto calls = traced_->trace();
    return static_cast<size_t>(std::count_if(calls.begin(), calls.end(), [](const auto& call) {
      return call.first == Op::kRead &&
             fs::path(call.second).filename().string().starts_with("checkpoint_");
    }));
  }
  fs::path client_folder(const std::string& client) const { return dir_.path() / "data" / client; }

  TempDir dir_;
  std::shared_ptr<FaultInjectionStorage> traced_;
};

TEST_P(WriteAheadLogTest, IdBelowTheHighestIsDuplicate) {
  auto log = open();
  ASSERT_EQ(*log->persist("c", sentence(5), 5), PersistOutcome::kWritten);
  EXPECT_EQ(*log->persist("c", sentence(3), 3), PersistOutcome::kDuplicate);
  EXPECT_EQ((*log->retrieve("c"))["content"], "Sentence 5.");
}

TEST_P(WriteAheadLogTest, DuplicateWritesNothing) {
  auto log = open(100);
  ASSERT_TRUE(log->persist("c", sentence(1), 1).is_ok());
  settle();
  const auto before = tree_contents(dir_.path());
  ASSERT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kDuplicate);
  EXPECT_EQ(tree_contents(dir_.path()), before);
}

TEST_P(WriteAheadLogTest, MarksSurviveReopen) {
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

TEST_P(WriteAheadLogTest, IdZeroIsAValidFirstId) {
  auto log = open();
  EXPECT_EQ(*log->persist("c", sentence(0), 0), PersistOutcome::kWritten);
  EXPECT_EQ(*log->persist("c", sentence(0), 0), PersistOutcome::kDuplicate);
  log.reset();
  log = open();
  EXPECT_EQ(*log->persist("c", sentence(0), 0), PersistOutcome::kDuplicate);
}

TEST_P(WriteAheadLogTest, LargestIdIsRecordedAndRecovered) {
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

TEST_P(WriteAheadLogTest, RetrieveUnknownClientIsEmptyAndCreatesNothing) {
  auto log = open();
  settle();
  const auto before = tree_contents(dir_.path());
  auto state = log->retrieve("nobody");
  ASSERT_TRUE(state.is_ok());
  EXPECT_EQ(*state, Json({{"content", ""}}));
  EXPECT_EQ(tree_contents(dir_.path()), before);
}

TEST_P(WriteAheadLogTest, RetrieveAlwaysReturnsAnObject) {
  auto log = open();
  ASSERT_TRUE(log->persist("c", Json("plain string payload"), 1).is_ok());
  EXPECT_EQ(*log->retrieve("c"), Json({{"content", "plain string payload"}}));
}

TEST_P(WriteAheadLogTest, MergeJoinsContentInIdOrderAndLatestIdWinsOtherKeys) {
  auto log = open(100);
  ASSERT_TRUE(log->persist("c", Json{{"content", "one"}, {"mood", "calm"}}, 1).is_ok());
  ASSERT_TRUE(log->persist("c", Json{{"content", "two"}, {"mood", "busy"}, {"n", 2}}, 2).is_ok());
  EXPECT_EQ(*log->retrieve("c"), Json({{"content", "one two"}, {"mood", "busy"}, {"n", 2}}));
}

TEST_F(SeedWriteAheadLogTest, CheckpointKeepsEveryKey) {
  auto log = open(2);
  ASSERT_TRUE(log->persist("c", Json{{"content", "one"}, {"count", 1}}, 1).is_ok());
  ASSERT_TRUE(log->persist("c", Json{{"count", 2}}, 2).is_ok());
  EXPECT_EQ(names_with_prefix(client_folder("c"), "checkpoint_").size(), 1u);
  EXPECT_EQ(*log->retrieve("c"), Json({{"content", "one"}, {"count", 2}}));
}

TEST_F(SeedWriteAheadLogTest, CheckpointAndRetrieveDoNotReadBackACheckpointThisInstanceWrote) {
  auto log = open_traced(1 << 20);
  persist_sentences(*log, "c", 1, 9);  // three checkpoints, each folding the one before
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 9));
  EXPECT_EQ(checkpoint_reads(), 0u);
}

TEST_F(SeedWriteAheadLogTest, WithoutTheCacheEachCheckpointReadsThePreviousOneBack) {
  auto log = open_traced(0);
  persist_sentences(*log, "c", 1, 9);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 9));
  EXPECT_EQ(checkpoint_reads(), 3u);  // at the second and third checkpoints, and the retrieve
}

TEST_F(SeedWriteAheadLogTest, CheckpointLargerThanTheCacheIsReadBack) {
  auto log = open_traced(16);  // smaller than any checkpoint file
  persist_sentences(*log, "c", 1, 6);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 6));
  EXPECT_EQ(checkpoint_reads(), 2u);
}

TEST_F(SeedWriteAheadLogTest, CachedCheckpointStateEqualsTheOneReadFromDisk) {
  std::vector<Json> retrieved;
  {
    auto log = open_traced(1 << 20);
    ASSERT_TRUE(log->persist("c", Json{{"content", "one"}, {"n", 1}, {"x", 0.5}}, 1).is_ok());
    ASSERT_TRUE(log->persist("c", Json{{"n", -2}, {"tags", {"a", "b"}}}, 2).is_ok());
    ASSERT_TRUE(log->persist("c", "bare string", 3).is_ok());
    ASSERT_TRUE(log->persist("c", Json{{"content", "four"}}, 4).is_ok());
    retrieved.push_back(*log->retrieve("c"));
    EXPECT_EQ(checkpoint_reads(), 0u);
  }
  auto reopened = open();
  EXPECT_EQ(*reopened->retrieve("c"), retrieved[0]);
  EXPECT_EQ(reopened->retrieve("c")->dump(), retrieved[0].dump());
}

TEST_F(SeedWriteAheadLogTest, ClientClearedAfterACheckpointStartsFromNothing) {
  auto log = open_traced(1 << 20);
  persist_sentences(*log, "c", 1, 3);
  ASSERT_TRUE(log->clear("c").is_ok());
  persist_sentences(*log, "c", 4, 6);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(4, 6));
}

TEST_F(SeedWriteAheadLogTest, CheckpointThresholdIsConfigurable) {
  auto log = open(5);
  for (uint64_t id = 1; id <= 4; ++id) ASSERT_TRUE(log->persist("c", sentence(id), id).is_ok());
  EXPECT_EQ(names_with_prefix(client_folder("c"), "log_").size(), 4u);
  EXPECT_TRUE(names_with_prefix(client_folder("c"), "checkpoint_").empty());
  ASSERT_TRUE(log->persist("c", sentence(5), 5).is_ok());
  EXPECT_TRUE(names_with_prefix(client_folder("c"), "log_").empty());
  EXPECT_EQ(names_with_prefix(client_folder("c"), "checkpoint_").size(), 1u);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 5));
}

TEST_P(WriteAheadLogTest, ZeroThresholdIsRefused) {
  auto log = WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                                 std::make_shared<FileSystemStorage>(), options(0));
  EXPECT_EQ(log.status().code(), Code::kInvalidArgument);
}

TEST_P(WriteAheadLogTest, ClearForgetsTheClientAtomically) {
  auto log = open();
  for (uint64_t id = 1; id <= 4; ++id) ASSERT_TRUE(log->persist("c", sentence(id), id).is_ok());
  ASSERT_TRUE(log->clear("c").is_ok());
  if (seed()) {
    EXPECT_FALSE(fs::exists(client_folder("c")));
  }
  EXPECT_EQ(*log->retrieve("c"), Json({{"content", ""}}));
  EXPECT_FALSE(mark_of(*log, "c").has_value());
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
  EXPECT_EQ((*log->retrieve("c"))["content"], "Sentence 1.");
}

TEST_P(WriteAheadLogTest, ClearOfUnknownClientSucceeds) {
  auto log = open();
  EXPECT_TRUE(log->clear("nobody").is_ok());
}

TEST_P(WriteAheadLogTest, ClearLeavesOtherClients) {
  auto log = open();
  ASSERT_TRUE(log->persist("a", sentence(1), 1).is_ok());
  ASSERT_TRUE(log->persist("b", sentence(2), 2).is_ok());
  ASSERT_TRUE(log->clear("a").is_ok());
  EXPECT_EQ((*log->retrieve("b"))["content"], "Sentence 2.");
  auto clients = log->clients();
  ASSERT_EQ(clients->size(), 1u);
  EXPECT_EQ((*clients)[0].client_id, "b");
}

TEST_P(WriteAheadLogTest, ClientsListsHighestIds) {
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

TEST_P(WriteAheadLogTest, SecondInstanceOnTheSameDirectoryIsRefused) {
  auto log = open();
  auto second = WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                                    std::make_shared<FileSystemStorage>(), options());
  ASSERT_FALSE(second.is_ok());
  EXPECT_EQ(second.status().code(), Code::kLocked);
  EXPECT_NE(second.status().to_string().find(".wal.lock"), std::string::npos);
}

TEST_P(WriteAheadLogTest, LockIsReleasedWhenTheInstanceCloses) {
  open().reset();
  EXPECT_NE(open(), nullptr);
}

TEST_P(WriteAheadLogTest, BaseDirectoryIsCreatedWithItsParents) {
  auto log = open_log(options_for_variant(GetParam(), dir_.path() / "a" / "b" / "c"));
  ASSERT_NE(log, nullptr);
  EXPECT_TRUE(fs::is_directory(dir_.path() / "a" / "b" / "c"));
}

TEST_P(WriteAheadLogTest, RecordAboveTheSizeLimitIsRefused) {
  auto limited = options();
  limited.max_record_bytes = 1000;
  auto log = open_log(limited);
  auto outcome = log->persist("c", Json{{"content", std::string(2000, 'x')}}, 1);
  EXPECT_EQ(outcome.status().code(), Code::kInvalidArgument);
  EXPECT_NE(outcome.status().message().find("max_record_bytes"), std::string::npos);
  EXPECT_EQ(*log->persist("c", Json{{"content", std::string(500, 'x')}}, 1),
            PersistOutcome::kWritten);
}

TEST_P(WriteAheadLogTest, PayloadWithNulNewlineAndMarkersRoundTrips) {
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

// The names the Python module and tools take for the options, both ways.
TEST(OptionNamesTest, EveryNameParsesBackAndAnUnknownOneListsThem) {
  for (SyncPolicy policy : {SyncPolicy::kAlways, SyncPolicy::kInterval, SyncPolicy::kNone}) {
    EXPECT_EQ(*parse_sync_policy(sync_policy_name(policy)), policy);
  }
  for (RecoveryMode mode : {RecoveryMode::kTolerateTornTail, RecoveryMode::kAbsoluteConsistency,
                            RecoveryMode::kPointInTime, RecoveryMode::kSkipDamaged}) {
    EXPECT_EQ(*parse_recovery_mode(recovery_mode_name(mode)), mode);
  }
  EXPECT_EQ(parse_sync_policy("Always").status().to_string(),
            Status::invalid_argument(
                "unknown sync policy \"Always\"; the policies are: always, interval, none")
                .to_string());
  EXPECT_EQ(parse_layout("segmnted").status().message(),
            "unknown layout \"segmnted\"; the layouts are: auto, seed, segmented");
  EXPECT_EQ(parse_dedup_policy("hwm").status().message(),
            "unknown dedup policy \"hwm\"; the policies are: high-water-mark, exact");
  EXPECT_EQ(parse_recovery_mode("").status().message(),
            "unknown recovery mode \"\"; the modes are: tolerate-torn-tail, "
            "absolute-consistency, point-in-time, skip-damaged");
}

}  // namespace
}  // namespace wal::testing
