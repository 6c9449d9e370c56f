// What opening a segmented directory makes of every anomaly a crash or a
// damaged disk can leave, one test per anomaly, under each recovery mode.
#include "fault_injection_storage.h"
#include "segmented_test_util.h"

namespace wal::testing {
namespace {

class SegmentedRecoveryTest : public ::testing::Test {
 protected:
  fs::path data() const { return dir_.path() / "data"; }
  WriteAheadLogOptions options(RecoveryMode mode = RecoveryMode::kTolerateTornTail) const {
    WriteAheadLogOptions options = segmented_options_for(data());
    options.segmented.recovery_mode = mode;
    options.on_warning = [this](const Status& warning) { warnings_.push_back(warning); };
    return options;
  }
  std::unique_ptr<WriteAheadLog> open(RecoveryMode mode = RecoveryMode::kTolerateTornTail) const {
    return open_log(options(mode));
  }
  Result<std::unique_ptr<WriteAheadLog>> try_open(
      RecoveryMode mode = RecoveryMode::kTolerateTornTail) const {
    return WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                               std::make_shared<FileSystemStorage>(), options(mode));
  }
  // Writes messages 1..count for client "c" and closes the log.
  void write_sentences(uint64_t count, uint64_t segment_bytes = 64 * 1024) const {
    WriteAheadLogOptions small = options();
    small.segmented.segment_bytes = segment_bytes;
    auto log = open_log(small);
    persist_sentences(*log, "c", 1, count);
  }

  // A segment numbered `number` holding client "c"'s message 3, cut short
  // after it. Returns its path.
  fs::path write_segment_numbered(uint64_t number) const {
    std::string bytes;
    segmented::append_frame(&bytes, segmented::RecordType::kPersist, number,
                            segmented::encode_persist("c", 3, R"({"content": "far"})"));
    const fs::path path = data() / segmented::segment_file_name(number);
    write_bytes(path, bytes);
    return path;
  }

  // Whether exactly one warning was given, of kCorruption, naming `path` and `action`.
  bool warned_once(const std::string& path, const std::string& action) const {
    return warnings_.size() == 1 && warnings_[0].code() == Code::kCorruption &&
           warnings_[0].to_string().find(path) != std::string::npos &&
           warnings_[0].to_string().find("start-up " + action) != std::string::npos;
  }

  TempDir dir_;
  mutable std::vector<Status> warnings_;
};

TEST_F(SegmentedRecoveryTest, CleanEndIsNotReported) {
  write_sentences(3);
  auto log = open();
  EXPECT_FALSE(log->recovery_report().torn_tail);
  EXPECT_TRUE(log->recovery_report().events.empty());
  EXPECT_TRUE(warnings_.empty());
  EXPECT_EQ(log->recovery_report().layout, Layout::kSegmented);
  EXPECT_EQ(log->recovery_report().records, 3u);
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 3));
}

TEST_F(SegmentedRecoveryTest, TornTailIsTruncatedAndReported) {
  write_sentences(3);
  const FrameOnDisk last = persist_frames(data()).back();
  flip_byte(last.path, last.offset + last.size - 2);

  auto log = open();
  EXPECT_TRUE(log->recovery_report().torn_tail);
  EXPECT_TRUE(reported(log->recovery_report(), last.path, "truncated"));
  EXPECT_TRUE(warnings_.empty()) << "a torn tail was never acknowledged: no warning";
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 2));
  EXPECT_EQ(mark_of(*log, "c"), 2u);
  EXPECT_EQ(*log->persist("c", sentence(3), 3), PersistOutcome::kWritten);
  log.reset();

  log = open();  // cut for good: not found again
  EXPECT_FALSE(log->recovery_report().torn_tail);
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 3));
}

TEST_F(SegmentedRecoveryTest, ZeroFilledLastRecordIsATornTail) {
  write_sentences(3);
  const FrameOnDisk last = persist_frames(data()).back();
  overwrite(last.path, last.offset + segmented::kHeaderSize,
            std::string(last.size - segmented::kHeaderSize, '\0'));
  auto log = open();
  EXPECT_TRUE(log->recovery_report().torn_tail);
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 2));
}

TEST_F(SegmentedRecoveryTest, IncompleteLastRecordIsATornTail) {
  write_sentences(3);
  const FrameOnDisk last = persist_frames(data()).back();
  overwrite(last.path, last.offset + 4, std::string("\xff\xff\x00\x01", 4));  // length 16 MiB
  auto log = open();
  EXPECT_TRUE(log->recovery_report().torn_tail);
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 2));
}

// The log number in a header is outside nothing but the CRC: a flipped bit
// there once made a record read as the end of the log, and every record
// after it vanished without a report (found by segmented_corruption_test).
TEST_F(SegmentedRecoveryTest, DamagedLogNumberInTheMiddleFailsOpenNamingFileAndOffset) {
  write_sentences(3);
  const FrameOnDisk second = persist_frames(data())[1];
  flip_byte(second.path, second.offset + segmented::kLogNumberOffset);
  auto log = try_open();
  ASSERT_EQ(log.status().code(), Code::kCorruption) << log.status().to_string();
  EXPECT_EQ(log.status().path(), second.path.string());
  EXPECT_EQ(log.status().offset(), second.offset);
  EXPECT_NE(log.status().message().find("log number"), std::string::npos);
}

TEST_F(SegmentedRecoveryTest, DamagedLogNumberOfTheLastRecordIsATornTail) {
  write_sentences(3);
  const FrameOnDisk last = persist_frames(data()).back();
  flip_byte(last.path, last.offset + segmented::kLogNumberOffset + 7);
  auto log = open();
  EXPECT_TRUE(log->recovery_report().torn_tail);
  EXPECT_TRUE(reported(log->recovery_report(), last.path, "truncated"));
  EXPECT_TRUE(warnings_.empty()) << "a torn tail was never acknowledged: no warning";
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 2));
}

// A damaged log number in a later segment's first record once made the
// segment look prepared ahead and unused: its records were dropped, and the
// segment reused, without a report.
TEST_F(SegmentedRecoveryTest, DamagedLogNumberOfALaterSegmentsFirstRecordIsNotAnUnusedSegment) {
  write_sentences(200, 4096);
  const auto frames = persist_frames(data());
  ASSERT_GT(frames.back().number, frames.front().number) << "needs several segments";
  const auto first_of_last = std::find_if(frames.begin(), frames.end(), [&](const auto& frame) {
    return frame.number == frames.back().number;
  });
  ASSERT_NE(first_of_last, frames.end());
  ASSERT_EQ(first_of_last->offset, 0u);
  ASSERT_NE(first_of_last->offset, frames.back().offset) << "needs two records in the last segment";
  flip_byte(first_of_last->path, segmented::kLogNumberOffset);
  auto log = try_open();
  ASSERT_EQ(log.status().code(), Code::kCorruption) << log.status().to_string();
  EXPECT_EQ(log.status().path(), first_of_last->path.string());
  EXPECT_EQ(log.status().offset(), 0u);
}

// The writer leaves room for a header after every record, so a segment that
// ends sooner was cut short: once that read as a clean end, and the records
// cut off vanished without a report (found by segmented_corruption_test).
TEST_F(SegmentedRecoveryTest, SegmentCutShortOfAHeaderIsATornTail) {
  write_sentences(3);
  const FrameOnDisk last = persist_frames(data()).back();
  fs::resize_file(last.path, last.offset + segmented::kHeaderSize - 1);
  auto log = open();
  EXPECT_TRUE(log->recovery_report().torn_tail);
  EXPECT_TRUE(reported(log->recovery_report(), last.path, "truncated"));
  EXPECT_TRUE(warnings_.empty()) << "a torn tail was never acknowledged: no warning";
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 2));
  EXPECT_EQ(*log->persist("c", sentence(3), 3), PersistOutcome::kWritten);
  log.reset();
  log = open();
  EXPECT_FALSE(log->recovery_report().torn_tail);
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 3));
}

TEST_F(SegmentedRecoveryTest, EmptiedSegmentIsATornTail) {
  write_sentences(3);
  const FrameOnDisk first = persist_frames(data()).front();
  fs::resize_file(first.path, 0);
  auto log = open();
  EXPECT_TRUE(log->recovery_report().torn_tail);
  EXPECT_TRUE(reported(log->recovery_report(), first.path, "truncated"));
  EXPECT_EQ(content_of(*log, "c"), "");
}

TEST_F(SegmentedRecoveryTest, AbsoluteConsistencyRefusesATornTail) {
  write_sentences(3);
  const FrameOnDisk last = persist_frames(data()).back();
  flip_byte(last.path, last.offset + last.size - 2);
  auto log = try_open(RecoveryMode::kAbsoluteConsistency);
  ASSERT_EQ(log.status().code(), Code::kCorruption);
  EXPECT_EQ(log.status().path(), last.path.string());
  EXPECT_EQ(log.status().offset(), last.offset);
  EXPECT_NE(log.status().message().find("torn tail"), std::string::npos);
}

TEST_F(SegmentedRecoveryTest, DamageInTheMiddleFailsOpenNamingFileAndOffset) {
  write_sentences(3);
  const FrameOnDisk second = persist_frames(data())[1];
  flip_byte(second.path, second.offset + second.size - 2);
  auto log = try_open();
  ASSERT_EQ(log.status().code(), Code::kCorruption) << log.status().to_string();
  EXPECT_EQ(log.status().path(), second.path.string());
  EXPECT_EQ(log.status().offset(), second.offset);
  EXPECT_NE(log.status().message().find("crc32c mismatch"), std::string::npos);
  // Nothing was changed on disk: a second look finds the same.
  EXPECT_EQ(try_open().status().offset(), second.offset);
}

TEST_F(SegmentedRecoveryTest, PointInTimeDropsEverythingFromTheDamage) {
  write_sentences(4);
  const FrameOnDisk second = persist_frames(data())[1];
  flip_byte(second.path, second.offset + 20);
  auto log = open(RecoveryMode::kPointInTime);
  EXPECT_TRUE(reported(log->recovery_report(), second.path, "dropped"));
  EXPECT_TRUE(warned_once(second.path, "dropped"));
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 1));
  log.reset();

  log = open();  // dropped stays dropped, and the default mode opens it
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 1));
  EXPECT_EQ(*log->persist("c", sentence(2), 2), PersistOutcome::kWritten);
  log.reset();
  EXPECT_EQ(content_of(*open(), "c"), sentences(1, 2));
}

TEST_F(SegmentedRecoveryTest, PointInTimeRemovesLaterSegments) {
  write_sentences(200, 4096);
  const auto frames = persist_frames(data());
  ASSERT_GT(frames.back().number, frames.front().number + 2) << "needs several segments";
  flip_byte(frames[10].path, frames[10].offset + 20);
  auto log = open(RecoveryMode::kPointInTime);
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 10));
  EXPECT_EQ(mark_of(*log, "c"), 10u);
  log.reset();
  EXPECT_EQ(content_of(*open(), "c"), sentences(1, 10));
}

TEST_F(SegmentedRecoveryTest, SkipDamagedKeepsWhatFollows) {
  write_sentences(4);
  const FrameOnDisk second = persist_frames(data())[1];
  flip_byte(second.path, second.offset + 20);
  auto log = open(RecoveryMode::kSkipDamaged);
  EXPECT_TRUE(reported(log->recovery_report(), second.path, "skipped"));
  EXPECT_TRUE(warned_once(second.path, "skipped"));
  EXPECT_EQ(content_of(*log, "c"), "Sentence 1. Sentence 3. Sentence 4.");
  EXPECT_EQ(mark_of(*log, "c"), 4u);
}

TEST_F(SegmentedRecoveryTest, RecordFromAPreviousRecycleIsNotReplayed) {
  write_sentences(3);
  const FrameOnDisk last = persist_frames(data()).back();
  // A whole, valid frame of the file's previous life right after the log's end.
  std::string stale;
  segmented::append_frame(&stale, segmented::RecordType::kPersist, last.number + 1000,
                          segmented::encode_persist("c", 4, R"({"data": "stale"})"));
  overwrite(last.path, last.offset + last.size, stale);
  auto log = open();
  EXPECT_TRUE(log->recovery_report().events.empty());
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 3));
  EXPECT_EQ(*log->persist("c", sentence(4), 4), PersistOutcome::kWritten);
}

TEST_F(SegmentedRecoveryTest, MissingSegmentInTheMiddleIsCorruption) {
  write_sentences(200, 4096);
  const auto segments = names_with_prefix(data(), "segment-");
  ASSERT_GE(segments.size(), 3u);
  fs::remove(data() / segments[1]);
  auto log = try_open();
  ASSERT_EQ(log.status().code(), Code::kCorruption);
  EXPECT_NE(log.status().message().find("missing"), std::string::npos);
}

TEST_F(SegmentedRecoveryTest, GapOfAlmostEverySegmentNumberIsOneSkip) {
  write_sentences(2);
  // Numbers run to 2^64-2: a gap that long is reported, not walked.
  const uint64_t far = segmented::kLargestFileNumber - 1;
  write_segment_numbered(far);
  EXPECT_EQ(try_open().status().code(), Code::kCorruption);
  auto log = open(RecoveryMode::kSkipDamaged);
  std::vector<std::string> missing;
  for (const auto& event : log->recovery_report().events) {
    if (event.reason.find("missing") != std::string::npos) missing.push_back(event.reason);
  }
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0], "segments 2 to " + std::to_string(far - 1) +
                            " are missing; later segments hold records");
  EXPECT_EQ(content_of(*log, "c"), "Sentence 1. Sentence 2. far");
}

TEST_F(SegmentedRecoveryTest, SegmentNumberedTheLargestOfAnyUseFailsOpen) {
  write_sentences(2);
  const fs::path largest = write_segment_numbered(segmented::kLargestFileNumber);
  // No segment can follow it: writing after it would go where no start-up reads.
  auto log = try_open(RecoveryMode::kSkipDamaged);
  ASSERT_EQ(log.status().code(), Code::kCorruption);
  EXPECT_EQ(log.status().path(), largest.string());
  EXPECT_NE(log.status().message().find("move the file out"), std::string::npos);
}

TEST_F(SegmentedRecoveryTest, SegmentWithoutItsEndRecordBeforeLaterOnesIsCorruption) {
  write_sentences(200, 4096);
  const auto frames = frames_on_disk(data());
  const auto end = std::find_if(frames.begin(), frames.end(), [](const FrameOnDisk& frame) {
    return frame.type == segmented::RecordType::kSegmentEnd;
  });
  ASSERT_NE(end, frames.end());
  overwrite(end->path, end->offset, std::string(end->size, '\0'));
  auto log = try_open();
  ASSERT_EQ(log.status().code(), Code::kCorruption);
  EXPECT_EQ(log.status().path(), end->path.string());
  EXPECT_EQ(log.status().offset(), end->offset);
}

TEST_F(SegmentedRecoveryTest, DamagedSnapshotFailsOpen) {
  {
    auto eager = options();
    eager.segmented.checkpoint_bytes = 1;
    auto log = open_log(eager);
    persist_sentences(*log, "c", 1, 3);
  }
  const std::string snapshot = only_file_with_prefix(data(), "snapshot-");
  flip_byte(data() / snapshot, 30);
  auto log = try_open();
  ASSERT_EQ(log.status().code(), Code::kCorruption);
  EXPECT_EQ(log.status().path(), (data() / snapshot).string());
}

// A lenient mode opens past a damaged snapshot; what it held may have been
// acknowledged, so the open warns of it, naming the file.
TEST_F(SegmentedRecoveryTest, DamagedSnapshotALenientModeIgnoresIsAWarning) {
  {
    auto eager = options();
    eager.segmented.checkpoint_bytes = 1;
    auto log = open_log(eager);
    persist_sentences(*log, "c", 1, 3);
  }
  const fs::path snapshot = data() / only_file_with_prefix(data(), "snapshot-");
  flip_byte(snapshot, 30);
  warnings_.clear();
  auto log = open(RecoveryMode::kPointInTime);
  EXPECT_TRUE(reported(log->recovery_report(), snapshot, "ignored"));
  const bool warned = std::any_of(warnings_.begin(), warnings_.end(), [&](const Status& warning) {
    return warning.code() == Code::kCorruption &&
           warning.to_string().find("start-up ignored data in " + snapshot.string()) !=
               std::string::npos;
  });
  EXPECT_TRUE(warned);
}

TEST_F(SegmentedRecoveryTest, TemporaryFilesAreRemovedAndForeignFilesIgnored) {
  write_sentences(2);
  write_bytes(data() / "segment-00000000000000000009.log.tmp", std::string(100, '\0'));
  write_bytes(data() / "snapshot-00000000000000000009.snap.tmp", "partial");
  write_bytes(data() / "notes.txt", "operator notes");
  auto log = open();
  EXPECT_TRUE(
      reported(log->recovery_report(), data() / "segment-00000000000000000009.log.tmp", "removed"));
  EXPECT_TRUE(reported(log->recovery_report(), data() / "notes.txt", "ignored"));
  EXPECT_FALSE(fs::exists(data() / "snapshot-00000000000000000009.snap.tmp"));
  EXPECT_TRUE(fs::exists(data() / "notes.txt"));
  EXPECT_TRUE(warnings_.empty()) << "debris and foreign files lose nothing";
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 2));
}

// A new directory opened under kExact writes .wal.dedup under a temporary
// name first: a crash before the rename leaves .wal.dedup.tmp and no policy,
// so the directory opens under either, and start-up removes the debris.
TEST_F(SegmentedRecoveryTest, DedupPolicyTempFileLeftByCrashIsRemovedOnOpen) {
  auto crashing = std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
  crashing->fail(Op::kRename, 1, EIO, /*persistent=*/true);
  WriteAheadLogOptions exact = options();
  exact.dedup.policy = DedupPolicy::kExact;
  ASSERT_FALSE(
      WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(), crashing, exact).is_ok());
  const fs::path temp = data() / ".wal.dedup.tmp";
  ASSERT_TRUE(fs::exists(temp));

  auto log = open();
  ASSERT_NE(log, nullptr);
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_TRUE(reported(log->recovery_report(), temp, "removed"));
  EXPECT_FALSE(reported(log->recovery_report(), temp, "ignored"));
  persist_sentences(*log, "c", 1, 2);
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 2));
}

TEST_F(SegmentedRecoveryTest, SegmentNumberedTheLargestIsIgnoredNeverRemoved) {
  write_sentences(2);
  const fs::path foreign = data() / segmented::segment_file_name(UINT64_MAX);
  std::string bytes;
  segmented::append_frame(&bytes, segmented::RecordType::kPersist, UINT64_MAX,
                          segmented::encode_persist("c", 3, R"({"content": "foreign"})"));
  write_bytes(foreign, bytes);
  for (const RecoveryMode mode :
       {RecoveryMode::kTolerateTornTail, RecoveryMode::kPointInTime, RecoveryMode::kSkipDamaged}) {
    auto log = open(mode);
    EXPECT_TRUE(reported(log->recovery_report(), foreign, "ignored"));
    EXPECT_EQ(content_of(*log, "c"), sentences(1, 2));
    EXPECT_EQ(read_bytes(foreign), bytes);
  }
}

TEST_F(SegmentedRecoveryTest, ClearedClientsRecordsNeverResurface) {
  {
    auto log = open();
    persist_sentences(*log, "c", 1, 3);
    ASSERT_TRUE(log->clear("c").is_ok());
    persist_sentences(*log, "d", 1, 1);
  }
  auto log = open();
  EXPECT_EQ(content_of(*log, "c"), "");
  EXPECT_FALSE(mark_of(*log, "c").has_value());
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
  log.reset();
  EXPECT_EQ(content_of(*open(), "c"), "Sentence 1.");
}

TEST_F(SegmentedRecoveryTest, ClearAcrossSnapshotsNeverResurfaces) {
  auto eager = options();
  eager.segmented.checkpoint_bytes = 1;  // a snapshot after every write
  {
    auto log = open_log(eager);
    persist_sentences(*log, "c", 1, 3);
    ASSERT_TRUE(log->clear("c").is_ok());
    persist_sentences(*log, "c", 1, 1);
  }
  EXPECT_EQ(content_of(*open_log(eager), "c"), "Sentence 1.");
}

}  // namespace
}  // namespace wal::testing
