// The segmented engine's own behaviour: group commit, batches, snapshots and
// segment retirement, layout detection, sync policies, failures, the cache.
#include <sys/stat.h>

#include <future>
#include <set>
#include <thread>

#include "fault_injection_storage.h"
#include "segmented/read_blocks.h"
#include "segmented/state_cache.h"
#include "segmented_test_util.h"
#include "wal/state_interpreter_factory.h"

namespace wal::testing {
namespace {

class SegmentedEngineTest : public ::testing::Test {
 protected:
  fs::path data() const { return dir_.path() / "data"; }
  WriteAheadLogOptions options() const {
    WriteAheadLogOptions options = segmented_options_for(data());
    options.on_warning = [this](const Status& status) {
      std::lock_guard lock(warnings_mutex_);
      warnings_.push_back(status);
    };
    return options;
  }
  // A log on a fault-injecting storage, kept in faulty_.
  std::unique_ptr<WriteAheadLog> open_faulty(const WriteAheadLogOptions& options) {
    faulty_ = std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
    return open_log(options, faulty_);
  }
  std::unique_ptr<WriteAheadLog> reopen() const { return open_log(segmented_options_for(data())); }
  // Segments of 4096 bytes and a snapshot after as much log (or twice the
  // last snapshot): a short history rotates, snapshots and retires.
  WriteAheadLogOptions tiny_options() const {
    WriteAheadLogOptions tiny = options();
    tiny.segmented.segment_bytes = 4096;
    tiny.segmented.checkpoint_bytes = 4096;
    return tiny;
  }
  // Options without the state cache: every retrieve reads the records.
  WriteAheadLogOptions uncached_options() const {
    WriteAheadLogOptions uncached = options();
    uncached.segmented.state_cache_bytes = 0;
    return uncached;
  }
  // How many reads retrieving `client` takes (on faulty_), checking its content.
  int reads_to_retrieve(WriteAheadLog& log, const std::string& client,
                        const std::string& content) const {
    const int reads = faulty_->count(Op::kReadAt);
    EXPECT_EQ(content_of(log, client), content);
    return faulty_->count(Op::kReadAt) - reads;
  }

  TempDir dir_;
  std::shared_ptr<FaultInjectionStorage> faulty_;
  mutable std::mutex warnings_mutex_;
  mutable std::vector<Status> warnings_;
};

// ---- group commit and batches ---------------------------------------------

TEST_F(SegmentedEngineTest, ConcurrentPersistsShareSyncs) {
  constexpr int kThreads = 8;
  constexpr uint64_t kIds = 25;
  auto log = open_faulty(options());
  faulty_->set_sync_delay(std::chrono::milliseconds(2));  // a slow disk makes groups form
  const int syncs_before = faulty_->count(Op::kSync);
  std::atomic<int> written{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t id = 1; id <= kIds; ++id) {
        auto outcome = log->persist("client-" + std::to_string(t), sentence(id), id);
        ASSERT_TRUE(outcome.is_ok()) << outcome.status().to_string();
        if (*outcome == PersistOutcome::kWritten) ++written;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const int syncs = faulty_->count(Op::kSync) - syncs_before;
  EXPECT_EQ(written.load(), kThreads * static_cast<int>(kIds));
  EXPECT_LE(syncs, kThreads * static_cast<int>(kIds) / 2) << "persists did not share syncs";
  log.reset();
  auto reopened = reopen();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(content_of(*reopened, "client-" + std::to_string(t)), sentences(1, kIds));
  }
}

TEST_F(SegmentedEngineTest, PersistBatchIsOneWriteAndOneSync) {
  auto log = open_faulty(options());
  std::vector<PersistRequest> batch;
  for (uint64_t id = 1; id <= 100; ++id) {
    batch.push_back({"client-" + std::to_string(id % 10), sentence(id), id});
  }
  const int writes = faulty_->count(Op::kWriteAt);
  const int syncs = faulty_->count(Op::kSync);
  auto outcomes = log->persist_batch(batch);
  ASSERT_TRUE(outcomes.is_ok()) << outcomes.status().to_string();
  EXPECT_EQ(outcomes->size(), 100u);
  EXPECT_EQ(faulty_->count(Op::kWriteAt) - writes, 1);
  EXPECT_EQ(faulty_->count(Op::kSync) - syncs, 1);
  log.reset();
  EXPECT_EQ(mark_of(*reopen(), "client-3"), 93u);
}

// ---- message frames -------------------------------------------------------

TEST_F(SegmentedEngineTest, MessagesOfBuiltInInterpretersAreStoredAsTheirDataAlone) {
  {
    auto log = open_log(options());
    persist_sentences(*log, "c", 1, 3);
  }
  const auto frames = persist_frames(data());
  ASSERT_EQ(frames.size(), 3u);
  for (const FrameOnDisk& frame : frames)
    EXPECT_EQ(frame.type, segmented::RecordType::kPersistData);
  auto log = reopen();
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 3));
}

// A built-in interpreter that does not claim to wrap data as is, so the log
// builds each record with format_data and reads it with parse_data.
class NoShortcutInterpreter final : public StateInterpreter {
 public:
  explicit NoShortcutInterpreter(std::shared_ptr<StateInterpreter> inner)
      : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  Result<Json> format_data(const Json& data) const override { return inner_->format_data(data); }
  Result<Json> parse_data(const Json& record) const override { return inner_->parse_data(record); }
  Json empty_state() const override { return inner_->empty_state(); }
  Result<Json> merge_data(Json state, const std::vector<LogEntry>& entries) const override {
    return inner_->merge_data(std::move(state), entries);
  }
  Result<Json> format_checkpoint(const Json& state) const override {
    return inner_->format_checkpoint(state);
  }
  Result<Json> parse_checkpoint(const Json& body) const override {
    return inner_->parse_checkpoint(body);
  }

 private:
  std::shared_ptr<StateInterpreter> inner_;
};

// The shortcut wraps_data_as_is allows (data framed without its record, and
// moved out of the record when read) writes the same bytes and reads back
// the same states as the long way, through persist and persist_batch.
TEST_F(SegmentedEngineTest, DataStoredWithoutItsRecordIsTheSameOnDiskAndWhenRead) {
  const std::vector<Json> messages = {
      Json{{"content", "caf\u00e9 \"quoted\""}, {"n", 1.5}},
      Json{{"content", "x"}, {"nested", {{"a", Json::array({1, nullptr, "\u0001"})}}}},
      Json{{"content", std::string(300, 'y')}}, Json{{"content", ""}, {"big", 1e300}}};
  for (const std::string name : {"consumer", "list"}) {
    const auto built_in = *make_state_interpreter(name);
    const auto long_way = std::make_shared<NoShortcutInterpreter>(built_in);
    ASSERT_TRUE(built_in->wraps_data_as_is());
    ASSERT_FALSE(long_way->wraps_data_as_is());
    std::vector<std::string> segments;
    std::vector<Json> states;
    for (const auto& interpreter : {std::static_pointer_cast<StateInterpreter>(built_in),
                                    std::static_pointer_cast<StateInterpreter>(long_way)}) {
      TempDir dir;
      const fs::path path = dir.path() / "data";
      {
        auto log = open_log(segmented_options_for(path), nullptr, interpreter);
        for (size_t i = 0; i < messages.size(); ++i) {
          ASSERT_EQ(*log->persist("a", messages[i], i + 1), PersistOutcome::kWritten);
        }
        std::vector<PersistRequest> batch;
        for (size_t i = 0; i < messages.size(); ++i) batch.push_back({"b", messages[i], i + 1});
        ASSERT_TRUE(log->persist_batch(batch).is_ok());
      }
      std::string bytes;
      for (const std::string& segment : names_with_prefix(path, "segment-")) {
        bytes += read_bytes(path / segment);
      }
      segments.push_back(bytes);
      auto log = open_log(segmented_options_for(path), nullptr, interpreter);
      states.push_back(Json{{"a", *log->retrieve("a")}, {"b", *log->retrieve("b")}});
    }
    EXPECT_EQ(segments[0], segments[1]) << name;
    EXPECT_EQ(states[0], states[1]) << name;
    EXPECT_EQ(states[0]["a"], states[0]["b"]) << name;
  }
}

// Keeps a stamp of its own in each record's "_metadata".
class StampingInterpreter final : public StateInterpreter {
 public:
  std::string name() const override { return "stamping"; }
  Result<Json> format_data(const Json& data) const override {
    return Json{{"data", data}, {"_metadata", {{"stamp", "s"}}}};
  }
  Result<Json> parse_data(const Json& record) const override {
    if (record.at("_metadata").value("stamp", "") != "s") {
      return Status::invalid_argument("the stamp is gone");
    }
    return record.at("data");
  }
  Json empty_state() const override { return Json::array(); }
  Result<Json> merge_data(Json state, const std::vector<LogEntry>& entries) const override {
    for (const LogEntry& entry : entries) state.push_back(entry.data);
    return state;
  }
};

TEST_F(SegmentedEngineTest, RecordWithMetadataOfItsOwnIsStoredWholeAndReadsBack) {
  const auto stamping = std::make_shared<StampingInterpreter>();
  {
    auto log = open_log(options(), nullptr, stamping);
    ASSERT_EQ(*log->persist("c", Json(1), 1), PersistOutcome::kWritten);
    ASSERT_EQ(*log->persist("c", Json(2), 2), PersistOutcome::kWritten);
  }
  const auto frames = persist_frames(data());
  ASSERT_EQ(frames.size(), 2u);
  for (const FrameOnDisk& frame : frames) EXPECT_EQ(frame.type, segmented::RecordType::kPersist);
  auto log = open_log(segmented_options_for(data()), nullptr, stamping);
  auto state = log->retrieve("c");
  ASSERT_TRUE(state.is_ok()) << state.status().to_string();
  EXPECT_EQ(*state, Json::array({1, 2}));
}

TEST_F(SegmentedEngineTest, RecordTooLargeForASegmentIsRefused) {
  auto small = options();
  small.segmented.segment_bytes = 4096;
  auto log = open_log(small);
  auto outcome = log->persist("c", Json{{"content", std::string(5000, 'x')}}, 1);
  EXPECT_EQ(outcome.status().code(), Code::kInvalidArgument);
  EXPECT_NE(outcome.status().message().find("segment"), std::string::npos);
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
}

TEST_F(SegmentedEngineTest, InvalidClientIdsAreRefused) {
  auto log = open_log(options());
  EXPECT_EQ(log->persist("", sentence(1), 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log->persist("a/b", sentence(1), 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log->retrieve("..").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log->clear(".hidden").code(), Code::kInvalidArgument);
  EXPECT_EQ(log->persist(std::string(201, 'x'), sentence(1), 1).status().code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(log->clients()->empty());
}

// ---- snapshots and segment retirement ---------------------------------------

TEST_F(SegmentedEngineTest, SnapshotsRetireCoveredSegmentsAndRecycleThem) {
  auto small = options();
  small.segmented.segment_bytes = 4096;
  small.segmented.checkpoint_bytes = 8192;
  small.segmented.recycled_segments = 2;
  std::set<ino_t> retired;
  {
    auto log = open_log(small);
    for (uint64_t id = 1; id <= 600; ++id) {
      ASSERT_TRUE(log->persist("client-" + std::to_string(id % 5), sentence(id), id).is_ok());
      for (const std::string& name : names_with_prefix(data(), "free-")) {
        retired.insert(inode_of(data() / name));
      }
    }
    // Disk use is bounded by the cadence (twice the snapshot here), not by the history.
    const auto snapshots = names_with_prefix(data(), "snapshot-");
    ASSERT_EQ(snapshots.size(), 1u);
    const uint64_t cadence =
        std::max<uint64_t>(8192, 2 * fs::file_size(data() / snapshots.front()));
    EXPECT_LE(names_with_prefix(data(), "segment-").size(), cadence / 4096 + 3);
    uintmax_t free_bytes = 0;
    for (const std::string& name : names_with_prefix(data(), "free-")) {
      free_bytes += fs::file_size(data() / name);
    }
    EXPECT_LE(free_bytes, std::max<uint64_t>(2 * 4096, cadence));
    const auto segments = names_with_prefix(data(), "segment-");
    EXPECT_GE(segmented::parse_file_name(segments.back()).number, 10u);
    bool recycled = false;
    for (const std::string& name : segments) recycled |= retired.contains(inode_of(data() / name));
    EXPECT_TRUE(recycled) << "no retired segment was reused";
  }
  auto log = open_log(small);
  EXPECT_EQ(log->recovery_report().checkpoints, 1u);
  EXPECT_LT(log->recovery_report().records, 600u);
  for (int c = 0; c < 5; ++c) {
    std::string expected;
    for (uint64_t id = 1; id <= 600; ++id) {
      if (id % 5 != static_cast<uint64_t>(c)) continue;
      expected += (expected.empty() ? "" : " ") + ("Sentence " + std::to_string(id) + ".");
    }
    EXPECT_EQ(content_of(*log, "client-" + std::to_string(c)), expected);
  }
}

TEST_F(SegmentedEngineTest, PersistOnlyOverwritesPreallocatedSpace) {
  // Every sync is then a data flush without a size or allocation change.
  auto log = open_log(options());
  persist_sentences(*log, "c", 1, 1);
  std::map<std::string, uintmax_t> sizes;
  for (const std::string& name : names_with_prefix(data(), "segment-")) {
    sizes[name] = fs::file_size(data() / name);
    EXPECT_EQ(sizes[name], 64u * 1024) << name;
  }
  persist_sentences(*log, "c", 2, 100);
  for (const auto& [name, size] : sizes) EXPECT_EQ(fs::file_size(data() / name), size) << name;
}

TEST_F(SegmentedEngineTest, WithoutRecyclingRetiredSegmentsAreRemoved) {
  auto small = tiny_options();
  small.segmented.recycled_segments = 0;
  auto log = open_log(small);
  persist_sentences(*log, "c", 1, 300);
  EXPECT_TRUE(names_with_prefix(data(), "free-").empty());
  EXPECT_LE(names_with_prefix(data(), "segment-").size(), 4u);
  log.reset();
  EXPECT_EQ(content_of(*open_log(small), "c"), sentences(1, 300));
}

// The sizes of the free files in the directory, by name.
std::map<std::string, uintmax_t> free_files_in(const fs::path& dir) {
  std::map<std::string, uintmax_t> sizes;
  for (const std::string& name : names_with_prefix(dir, "free-")) {
    sizes[name] = fs::file_size(dir / name);
  }
  return sizes;
}

// A state that grows with its history makes each snapshot bigger than the
// last. The one a newer snapshot supersedes has allocated, synced blocks: a
// segment takes it over instead of a new file being zero-filled.
TEST_F(SegmentedEngineTest, SupersededSnapshotsAreRecycledAsSegments) {
  auto small = tiny_options();
  bool kept_snapshot = false;
  uint64_t last_id = 0;
  {
    auto log = open_log(small);
    for (uint64_t id = 1; id <= 5000 && last_id == 0; ++id) {
      ASSERT_TRUE(log->persist("c", sentence(id), id).is_ok());
      for (const auto& [name, size] : free_files_in(data()))
        kept_snapshot |= name.ends_with(".snap");
      // Stop once the log ends in a recycled snapshot (a zero-filled segment
      // is segment_bytes long) with the snapshot's old bytes after its frames.
      const std::string last = names_with_prefix(data(), "segment-").back();
      const std::string bytes = read_bytes(data() / last);
      if (bytes.size() == 4096) continue;
      uint64_t end = 0;
      for (const FrameOnDisk& frame : frames_on_disk(data())) {
        if (frame.path == data() / last) end = frame.offset + frame.size;
      }
      if (end > 0 && bytes.find_first_not_of('\0', end) != std::string::npos) last_id = id;
    }
  }
  EXPECT_TRUE(kept_snapshot) << "no superseded snapshot was kept to be recycled";
  ASSERT_NE(last_id, 0u) << "the log never ended in a recycled snapshot";
  // Start-up reads the old snapshot frames after the segment's own as
  // recycled space: not damage, not records.
  auto reopened = open_log(small);
  EXPECT_FALSE(reopened->recovery_report().torn_tail);
  EXPECT_EQ(content_of(*reopened, "c"), sentences(1, last_id));
  std::lock_guard lock(warnings_mutex_);
  EXPECT_TRUE(warnings_.empty()) << warnings_.front().to_string();
}

// Start-up reads a segment whole, so a superseded snapshot becomes one only
// while it is at most four segments long: larger ones are removed, and open
// takes memory bounded by the segment size, not by the states' growth.
TEST_F(SegmentedEngineTest, SnapshotsLongerThanFourSegmentsAreNotRecycled) {
  auto small = tiny_options();
  auto log = open_log(small);
  uintmax_t largest_snapshot = 0;
  for (uint64_t id = 1; id <= 3000; ++id) {
    ASSERT_TRUE(log->persist("c", sentence(id), id).is_ok());
    for (const std::string& name : names_with_prefix(data(), "snapshot-")) {
      largest_snapshot = std::max(largest_snapshot, fs::file_size(data() / name));
    }
    for (const auto& [name, size] : free_files_in(data())) {
      ASSERT_LE(size, 4u * 4096) << name << " after message " << id;
    }
    for (const std::string& name : names_with_prefix(data(), "segment-")) {
      ASSERT_LE(fs::file_size(data() / name), 4u * 4096) << name << " after message " << id;
    }
  }
  EXPECT_GT(largest_snapshot, 8u * 4096) << "no snapshot grew past the bound";
  log.reset();
  EXPECT_EQ(content_of(*open_log(small), "c"), sentences(1, 3000));
}

// Files past `recycled_segments` are kept only while their bytes stay within
// the log the next snapshot waits for (twice the last snapshot here): what
// that log will need, and no more.
TEST_F(SegmentedEngineTest, FreeFilesStayWithinTheLogTheNextSnapshotWaitsFor) {
  auto small = tiny_options();
  small.segmented.recycled_segments = 1;
  auto log = open_log(small);
  size_t most_free = 0;
  for (uint64_t id = 1; id <= 1500; ++id) {
    ASSERT_TRUE(log->persist("c", sentence(id), id).is_ok());
    const auto free = free_files_in(data());
    uintmax_t free_bytes = 0;
    for (const auto& [name, size] : free) free_bytes += size;
    const auto snapshots = names_with_prefix(data(), "snapshot-");
    const uintmax_t snapshot = snapshots.empty() ? 0 : fs::file_size(data() / snapshots.back());
    if (free.size() > 1) {
      EXPECT_LE(free_bytes, std::max<uintmax_t>(4096, 2 * snapshot)) << "after message " << id;
    }
    most_free = std::max(most_free, free.size());
  }
  EXPECT_GE(most_free, 2u) << "the budget never kept more than recycled_segments";
}

// A snapshot shorter than a segment could not hold what a segment must.
TEST_F(SegmentedEngineTest, SnapshotShorterThanASegmentIsRemovedNotKept) {
  auto small = options();
  small.segmented.checkpoint_bytes = 4096;  // segments of 64 KiB
  auto log = open_log(small);
  std::set<std::string> snapshots;
  for (uint64_t id = 1; id <= 400; ++id) {
    ASSERT_TRUE(log->persist("c" + std::to_string(id % 3), sentence(id), id).is_ok());
    for (const std::string& name : names_with_prefix(data(), "snapshot-")) snapshots.insert(name);
    for (const auto& [name, size] : free_files_in(data())) {
      EXPECT_FALSE(name.ends_with(".snap")) << name << " of " << size << " bytes was kept";
    }
  }
  EXPECT_GE(snapshots.size(), 2u) << "no snapshot was superseded";
}

// The frames of a free file carry numbers up to the one in its name; in a
// segment of that number or below, one of them could read as the segment's.
// One that no segment could take yet is removed at start-up, and reported.
TEST_F(SegmentedEngineTest, FreeFilesAreRecycledOnlyIntoSegmentsNumberedAboveThem) {
  auto small = options();
  small.segmented.segment_bytes = 4096;
  small.segmented.checkpoint_bytes = 1u << 20;  // no snapshot: nothing retired
  open_log(small).reset();                      // the log is in segment 1
  const std::string too_high = segmented::free_snapshot_file_name(1000);
  const std::string usable = segmented::free_snapshot_file_name(1);
  write_bytes(data() / too_high, std::string(6000, '\0'));
  write_bytes(data() / usable, std::string(7000, '\0'));
  auto log = open_log(small);
  EXPECT_FALSE(fs::exists(data() / too_high));
  bool reported = false;
  for (const auto& event : log->recovery_report().events) {
    reported |= event.action == "removed" && event.path == (data() / too_high).string();
  }
  EXPECT_TRUE(reported);
  persist_sentences(*log, "c", 1, 400);  // several segments
  EXPECT_FALSE(free_files_in(data()).contains(usable));
  EXPECT_EQ(fs::file_size(data() / segmented::segment_file_name(2)), 7000u);
  log.reset();
  EXPECT_EQ(content_of(*open_log(small), "c"), sentences(1, 400));
}

// Start-up keeps what retiring would have kept: files within the log the
// next snapshot waits for, and recycled_segments (2) of a segment's size.
TEST_F(SegmentedEngineTest, FreeFilesBeyondWhatTheLogNeedsAreRemovedAtStartUp) {
  auto small = tiny_options();
  persist_sentences(*open_log(small), "c", 1, 200);  // the log is well past segment 4
  for (const std::string& name : names_with_prefix(data(), "free-")) fs::remove(data() / name);
  for (uint64_t number = 1; number <= 4; ++number) {
    write_bytes(data() / segmented::free_file_name(number), std::string(4096, '\0'));
  }
  const auto snapshots = names_with_prefix(data(), "snapshot-");
  ASSERT_EQ(snapshots.size(), 1u);
  ASSERT_LT(2 * fs::file_size(data() / snapshots.front()), 8192u);  // room for one file
  auto log = open_log(small);
  EXPECT_EQ(free_files_in(data()).size(), 2u);  // one within the budget, one more by count
  int removed = 0;
  for (const auto& event : log->recovery_report().events) {
    removed += event.reason == "free file the log will not need";
  }
  EXPECT_EQ(removed, 2);
}

// Removed by hand while listed as free: the segment is zero-filled instead.
TEST_F(SegmentedEngineTest, FreeFileRemovedBehindTheLogsBackIsMadeAfresh) {
  auto small = options();
  small.segmented.segment_bytes = 4096;
  small.segmented.checkpoint_bytes = 1u << 20;
  open_log(small).reset();
  write_bytes(data() / segmented::free_file_name(1), std::string(4096, '\0'));
  auto log = open_log(small);
  fs::remove(data() / segmented::free_file_name(1));
  persist_sentences(*log, "c", 1, 200);  // needs segment 2 and more
  EXPECT_TRUE(log->health().is_ok());
  log.reset();
  EXPECT_EQ(content_of(*open_log(small), "c"), sentences(1, 200));
}

// A segment recycled from a snapshot keeps the snapshot's size. Once the
// state has shrunk, retiring it must not keep it by recycled_segments' count,
// or the large file would go round as a segment for good.
TEST_F(SegmentedEngineTest, LargeSegmentIsKeptOnlyWithinTheBudget) {
  auto small = tiny_options();
  auto log = open_log(small);
  const auto big = [](uint64_t id) {
    return Json{{"content", std::string(1500, static_cast<char>('a' + id % 26))}};
  };
  bool large_segment = false;
  for (uint64_t id = 1; id <= 60 && !large_segment; ++id) {
    ASSERT_TRUE(log->persist("big", big(id), id).is_ok());
    for (const std::string& name : names_with_prefix(data(), "segment-")) {
      large_segment |= fs::file_size(data() / name) > 4096;
    }
  }
  ASSERT_TRUE(large_segment) << "no snapshot became a segment";
  ASSERT_TRUE(log->clear("big").is_ok());
  for (uint64_t id = 1; id <= 1500; ++id) {
    ASSERT_TRUE(log->persist("small", Json{{"content", "s"}}, id).is_ok());
  }
  for (const std::string& name : names_with_prefix(data(), "segment-")) {
    EXPECT_EQ(fs::file_size(data() / name), 4096u) << name;
  }
  for (const auto& [name, size] : free_files_in(data())) EXPECT_EQ(size, 4096u) << name;
}

// Start-up reads a snapshot through a window of 1 MiB, not whole: client
// frames that straddle the window's end, and one larger than the window,
// read back exactly.
class LargeSnapshotTest : public SegmentedEngineTest {
 protected:
  static constexpr size_t kPiece = 250 * 1024;
  static Json piece(char letter, uint64_t id) {
    return Json{{"content", std::string(kPiece, letter) + std::to_string(id)}};
  }
  static std::string pieces(char letter, uint64_t first, uint64_t last) {
    std::string text;
    for (uint64_t id = first; id <= last; ++id) {
      text += (text.empty() ? "" : " ") + piece(letter, id)["content"].get<std::string>();
    }
    return text;
  }
  // Client c gets eight pieces (2 MB), then a and b two each. Snapshots come
  // after 4 KiB of log, then after twice the last one's size: at c1, at c3,
  // and at a1 or a2, which holds a (first, in id order) and c. Its frame for
  // c starts inside the first 1 MiB window and is longer than a window.
  fs::path write_large_snapshot() {
    WriteAheadLogOptions large = options();
    large.segmented.segment_bytes = 32u << 20;
    large.segmented.checkpoint_bytes = 4096;
    auto log = open_log(large);
    for (uint64_t id = 1; id <= 8; ++id) {
      EXPECT_EQ(*log->persist("c", piece('c', id), id), PersistOutcome::kWritten);
    }
    for (uint64_t id = 1; id <= 2; ++id) {
      EXPECT_EQ(*log->persist("a", piece('a', id), id), PersistOutcome::kWritten);
    }
    for (uint64_t id = 1; id <= 2; ++id) {
      EXPECT_EQ(*log->persist("b", piece('b', id), id), PersistOutcome::kWritten);
    }
    const std::vector<std::string> snapshots = names_with_prefix(data(), "snapshot-");
    if (snapshots.empty()) return {};
    return data() / snapshots.back();
  }
};

TEST_F(LargeSnapshotTest, IsReadInAWindowAndBackWhole) {
  const fs::path snapshot = write_large_snapshot();
  ASSERT_FALSE(snapshot.empty());
  ASSERT_GT(fs::file_size(snapshot), 2u << 20);
  auto traced = std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
  traced->start_trace();
  auto reopened = open_log(options(), traced);
  int whole_reads = 0, window_reads = 0;
  for (const auto& [op, path] : traced->trace()) {
    if (fs::path(path).filename() != snapshot.filename()) continue;
    whole_reads += op == Op::kRead;
    window_reads += op == Op::kReadAt;
  }
  EXPECT_EQ(whole_reads, 0);
  EXPECT_GE(window_reads, 2);  // the first window, then c's frame
  EXPECT_EQ(reopened->recovery_report().checkpoints, 1u);
  EXPECT_TRUE(reopened->recovery_report().events.empty());
  EXPECT_EQ(content_of(*reopened, "a"), pieces('a', 1, 2));
  EXPECT_EQ(content_of(*reopened, "b"), pieces('b', 1, 2));
  EXPECT_EQ(content_of(*reopened, "c"), pieces('c', 1, 8));
  EXPECT_EQ(*reopened->persist("c", piece('c', 8), 8), PersistOutcome::kDuplicate);
}

TEST_F(LargeSnapshotTest, DamagePastTheFirstWindowIsNamedAtItsFrame) {
  const fs::path snapshot = write_large_snapshot();
  ASSERT_FALSE(snapshot.empty());
  ASSERT_GT(fs::file_size(snapshot), 2u << 20);
  const uint64_t at = fs::file_size(snapshot) - 100;  // in c's frame, the last client's
  flip_byte(snapshot, at);
  auto reopened = WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                                      std::make_shared<FileSystemStorage>(), options());
  ASSERT_EQ(reopened.status().code(), Code::kCorruption) << reopened.status().to_string();
  EXPECT_EQ(reopened.status().path(), snapshot.string());
  // Named at the start of c's frame, which the first window reached into.
  EXPECT_GT(reopened.status().offset(), kPiece);
  EXPECT_LT(reopened.status().offset(), 1u << 20);
}

TEST_F(SegmentedEngineTest, SnapshotIsTakenInTheBackground) {
  auto background = options();
  background.segmented.background_work = true;
  background.segmented.checkpoint_bytes = 4096;
  auto log = open_log(background);
  persist_sentences(*log, "c", 1, 100);
  bool snapshot = false;
  for (int i = 0; i < 500 && !snapshot; ++i) {
    snapshot = !names_with_prefix(data(), "snapshot-").empty();
    if (!snapshot) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(snapshot);
  persist_sentences(*log, "c", 101, 110);
  log.reset();
  auto reopened = reopen();
  EXPECT_EQ(reopened->recovery_report().checkpoints, 1u);
  EXPECT_EQ(content_of(*reopened, "c"), sentences(1, 110));
}

TEST_F(SegmentedEngineTest, SnapshotDoesNotHoldUpWritesToTheClientItReads) {
  // A snapshot reads every record of a client since the last one: the
  // client's writers must not wait for that.
  auto background = options();
  background.segmented.background_work = true;
  background.segmented.checkpoint_bytes = 4096;
  background.segmented.state_cache_bytes = 0;
  auto log = open_faulty(background);
  faulty_->pause_reads();
  uint64_t id = 0;
  while (!faulty_->wait_for_paused_reader(std::chrono::milliseconds(1))) {
    ASSERT_LT(id, 10000u) << "no snapshot started";
    ++id;
    ASSERT_TRUE(log->persist("c", sentence(id), id).is_ok());
  }
  auto during =
      std::async(std::launch::async, [&] { return log->persist("c", sentence(id + 1), id + 1); });
  const bool done = during.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  faulty_->resume_reads();
  ASSERT_TRUE(done) << "a persist waited for the snapshot's reads";
  ASSERT_TRUE(during.get().is_ok());
  log.reset();
  EXPECT_EQ(content_of(*reopen(), "c"), sentences(1, id + 1));
}

TEST_F(SegmentedEngineTest, SnapshotCadenceGrowsWithTheSnapshot) {
  // Rewriting a snapshot costs its size: it is rewritten only after at least
  // as many bytes of log, so its share of the I/O stays bounded.
  auto eager = options();
  eager.segmented.checkpoint_bytes = 1;
  auto log = open_faulty(eager);
  persist_sentences(*log, "big", 1, 1);
  ASSERT_TRUE(log->persist("big", Json{{"content", std::string(20000, 'x')}}, 2).is_ok());
  const int renames = faulty_->count(Op::kRename);
  persist_sentences(*log, "small", 1, 20);  // 20 small records: far less than 20,000 bytes
  EXPECT_EQ(faulty_->count(Op::kRename), renames);
}

// A state that grows with its history grows every snapshot: waiting for twice
// its size of log keeps snapshot writes within half the log's.
TEST_F(SegmentedEngineTest, NextSnapshotWaitsForTwiceTheLastOnesSizeOfLog) {
  auto eager = options();
  eager.segmented.checkpoint_bytes = 1;
  eager.segmented.segment_bytes = 1u << 20;  // one segment: the log is its message frames
  auto log = open_log(eager);
  ASSERT_TRUE(log->persist("big", Json{{"content", std::string(20000, 'x')}}, 1).is_ok());
  const auto first = names_with_prefix(data(), "snapshot-");
  ASSERT_EQ(first.size(), 1u);
  const uint64_t snapshot_bytes = fs::file_size(data() / first.front());
  const uint64_t log_at_cut = bytes_of(persist_frames(data()));
  for (uint64_t id = 1; id <= 200; ++id) {
    ASSERT_TRUE(log->persist("small", Json{{"content", std::string(500, 'y')}}, id).is_ok());
    const std::vector<FrameOnDisk> frames = persist_frames(data());
    const uint64_t since = bytes_of(frames) - log_at_cut;
    if (names_with_prefix(data(), "snapshot-") == first) {
      ASSERT_LT(since, 2 * snapshot_bytes) << "no snapshot after " << since << " bytes of log";
      continue;
    }
    EXPECT_GE(since, 2 * snapshot_bytes);
    EXPECT_LT(since - frames.back().size, 2 * snapshot_bytes) << "the snapshot came late";
    return;
  }
  FAIL() << "no second snapshot";
}

TEST_F(SegmentedEngineTest, RetrieveReadsOnlyRecordsSinceTheCachedState) {
  auto log = open_faulty(options());
  persist_sentences(*log, "c", 1, 20);
  uint64_t bytes = faulty_->bytes_read();
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 20));
  EXPECT_EQ(faulty_->bytes_read() - bytes, bytes_of(persist_frames(data())));
  persist_sentences(*log, "c", 21, 21);
  bytes = faulty_->bytes_read();
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 21));
  EXPECT_EQ(faulty_->bytes_read() - bytes, persist_frames(data()).back().size);
}

TEST_F(SegmentedEngineTest, WithoutACacheRetrieveReadsEverything) {
  auto log = open_faulty(uncached_options());
  persist_sentences(*log, "c", 1, 10);
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 10));
  const uint64_t bytes = faulty_->bytes_read();
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 10));
  EXPECT_EQ(faulty_->bytes_read() - bytes, bytes_of(persist_frames(data())));
}

// ---- reading ----------------------------------------------------------------

TEST_F(SegmentedEngineTest, NeighbouringRecordsOfAClientAreReadInOneBlock) {
  auto log = open_faulty(uncached_options());
  for (uint64_t id = 1; id <= 50; ++id) {
    persist_sentences(*log, "c", id, id);
    persist_sentences(*log, "other", id, id);
  }
  EXPECT_EQ(reads_to_retrieve(*log, "c", sentences(1, 50)), 1);
}

TEST_F(SegmentedEngineTest, RecordsFarApartAreReadOneByOne) {
  auto log = open_faulty(uncached_options());
  // More bytes of another client between them than a block may carry.
  const Json filler{{"content", std::string(segmented::kMaxReadGapBytes + 1, 'x')}};
  for (uint64_t id = 1; id <= 3; ++id) {
    persist_sentences(*log, "c", id, id);
    ASSERT_TRUE(log->persist("other", filler, id).is_ok());
  }
  EXPECT_EQ(reads_to_retrieve(*log, "c", sentences(1, 3)), 3);
}

TEST_F(SegmentedEngineTest, RecordDamagedAfterOpenFailsRetrieveNamingItsOffset) {
  auto log = open_log(uncached_options());
  persist_sentences(*log, "c", 1, 3);
  const FrameOnDisk damaged = persist_frames(data()).at(1);  // inside the block of all three
  flip_byte(damaged.path, damaged.offset + damaged.size - 3);
  const Result<Json> state = log->retrieve("c");
  ASSERT_FALSE(state.is_ok());
  EXPECT_EQ(state.status().code(), Code::kCorruption);
  EXPECT_EQ(state.status().path(), damaged.path.string());
  EXPECT_EQ(state.status().offset(), damaged.offset);
}

TEST(StateCacheTest, LeastRecentlyUsedEntryGoesFirst) {
  segmented::StateCache cache(100);
  cache.put("a", {0, Json("a"), std::nullopt, 40});
  cache.put("b", {0, Json("b"), std::nullopt, 40});
  ASSERT_TRUE(cache.get("a", 0).has_value());  // "b" is now the least recently used
  cache.put("c", {0, Json("c"), std::nullopt, 40});
  EXPECT_TRUE(cache.get("a", 0).has_value());
  EXPECT_FALSE(cache.get("b", 0).has_value());
  EXPECT_TRUE(cache.get("c", 0).has_value());
  EXPECT_LE(cache.bytes(), 100u);
}

TEST(StateCacheTest, EntryOfAnOlderGenerationIsDroppedByGetAndByTake) {
  for (const bool take : {false, true}) {
    segmented::StateCache cache(100);
    cache.put("a", {1, Json("a"), std::nullopt, 10});
    EXPECT_FALSE((take ? cache.take("a", 2) : cache.get("a", 2)).has_value());
    EXPECT_EQ(cache.bytes(), 0u);
  }
}

TEST(StateCacheTest, EntryLargerThanTheCacheIsNotKept) {
  segmented::StateCache cache(100);
  cache.put("a", {0, Json("a"), std::nullopt, 10});
  cache.put("huge", {0, Json("h"), std::nullopt, 101});
  EXPECT_FALSE(cache.get("huge", 0).has_value());
  EXPECT_TRUE(cache.get("a", 0).has_value());
}

TEST(StateCacheTest, TakenEntryLeavesTheCache) {
  segmented::StateCache cache(100);
  cache.put("a", {0, Json("a"), std::nullopt, 10});
  const auto taken = cache.take("a", 0);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->state, Json("a"));
  EXPECT_FALSE(cache.get("a", 0).has_value());
  EXPECT_EQ(cache.bytes(), 0u);
}

// ---- sync policies ------------------------------------------------------------

TEST_F(SegmentedEngineTest, AlwaysPolicySyncsBeforeEveryPersistReturns) {
  auto log = open_faulty(options());
  for (uint64_t id = 1; id <= 5; ++id) {
    const int syncs = faulty_->count(Op::kSync);
    ASSERT_TRUE(log->persist("c", sentence(id), id).is_ok());
    EXPECT_EQ(faulty_->count(Op::kSync) - syncs, 1);
  }
}

TEST_F(SegmentedEngineTest, NonePolicySyncsOnlyAtClose) {
  auto unsafe = options();
  unsafe.segmented.sync_policy = SyncPolicy::kNone;
  auto log = open_faulty(unsafe);
  const int syncs = faulty_->count(Op::kSync);
  persist_sentences(*log, "c", 1, 10);
  EXPECT_EQ(faulty_->count(Op::kSync), syncs);
  log.reset();
  EXPECT_GT(faulty_->count(Op::kSync), syncs);
  EXPECT_EQ(content_of(*reopen(), "c"), sentences(1, 10));
}

TEST_F(SegmentedEngineTest, IntervalPolicySyncsInTheBackground) {
  auto interval = options();
  interval.segmented.sync_policy = SyncPolicy::kInterval;
  interval.segmented.sync_interval_ms = 10;
  auto log = open_faulty(interval);
  faulty_->set_sync_delay(std::chrono::milliseconds(50));
  const int syncs = faulty_->count(Op::kSync);
  const auto start = std::chrono::steady_clock::now();
  persist_sentences(*log, "c", 1, 5);
  // persist waited for no 50 ms sync.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(45));
  for (int i = 0; i < 200 && faulty_->count(Op::kSync) == syncs; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GT(faulty_->count(Op::kSync), syncs);
  log.reset();
  EXPECT_EQ(content_of(*reopen(), "c"), sentences(1, 5));
}

TEST_F(SegmentedEngineTest, SettingsThatCannotWorkAreRefused) {
  auto tiny = options();
  tiny.segmented.segment_bytes = 1000;
  EXPECT_EQ(WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                                std::make_shared<FileSystemStorage>(), tiny)
                .status()
                .code(),
            Code::kInvalidArgument);
  auto huge = options();
  huge.segmented.segment_bytes =
      (uint64_t{1} << 30) + 1;  // a frame could outgrow what readers take
  EXPECT_EQ(WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                                std::make_shared<FileSystemStorage>(), huge)
                .status()
                .message(),
            "segmented.segment_bytes must be at most 1073741824 (1 GiB)");
  EXPECT_FALSE(fs::exists(data() / "LAYOUT"));
  auto busy = options();
  busy.segmented.sync_policy = SyncPolicy::kInterval;
  busy.segmented.sync_interval_ms = 0;
  EXPECT_EQ(WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                                std::make_shared<FileSystemStorage>(), busy)
                .status()
                .code(),
            Code::kInvalidArgument);
}

// ---- failures -------------------------------------------------------------------

TEST_F(SegmentedEngineTest, FailedSyncIsStickyUntilReopened) {
  auto log = open_faulty(options());
  persist_sentences(*log, "c", 1, 1);
  faulty_->fail(Op::kSync, 1, EIO);
  auto outcome = log->persist("c", sentence(2), 2);
  EXPECT_EQ(outcome.status().code(), Code::kFailed);
  EXPECT_NE(outcome.status().message().find("until it is reopened"), std::string::npos);
  EXPECT_EQ(log->health().code(), Code::kFailed);
  EXPECT_EQ(log->persist("c", sentence(3), 3).status().code(), Code::kFailed);
  EXPECT_EQ(log->persist_batch({{"c", sentence(3), 3}}).status().code(), Code::kFailed);
  EXPECT_EQ(log->clear("c").code(), Code::kFailed);
  log.reset();

  auto reopened = reopen();
  EXPECT_TRUE(reopened->health().is_ok());
  // Message 2 was never acknowledged: it may be there whole, or not at all.
  const std::string content = content_of(*reopened, "c");
  EXPECT_TRUE(content == sentences(1, 1) || content == sentences(1, 2)) << content;
  EXPECT_TRUE(reopened->persist("c", sentence(2), 2).is_ok());
  EXPECT_EQ(content_of(*reopened, "c"), sentences(1, 2));
}

TEST_F(SegmentedEngineTest, FailedWriteIsSticky) {
  auto log = open_faulty(options());
  faulty_->fail(Op::kWriteAt, 1, EIO);
  EXPECT_EQ(log->persist("c", sentence(1), 1).status().code(), Code::kFailed);
  EXPECT_EQ(log->persist("c", sentence(1), 1).status().code(), Code::kFailed);
}

TEST_F(SegmentedEngineTest, FullDiskWhilePreparingASegmentIsReportedAndNotSticky) {
  auto small = options();
  small.segmented.segment_bytes = 4096;
  auto log = open_faulty(small);
  faulty_->fail(Op::kOpen, 1, ENOSPC);  // the next segment's file cannot be made
  uint64_t id = 1;
  Status failure;
  for (; id <= 200 && failure.is_ok(); ++id) failure = log->persist("c", sentence(id), id).status();
  ASSERT_EQ(failure.code(), Code::kNoSpace) << failure.to_string();
  --id;  // the one refused
  EXPECT_TRUE(log->health().is_ok());
  EXPECT_EQ(mark_of(*log, "c"), id - 1);
  EXPECT_EQ(*log->persist("c", sentence(id), id), PersistOutcome::kWritten);
  log.reset();
  EXPECT_EQ(content_of(*reopen(), "c"), sentences(1, id));
}

// Its name would otherwise be taken again when the new snapshot is retired.
TEST_F(SegmentedEngineTest, NewSnapshotIsNumberedAboveEveryFreeSnapshot) {
  auto small = options();
  small.segmented.checkpoint_bytes = 4096;
  open_log(small).reset();
  write_bytes(data() / segmented::free_snapshot_file_name(50), std::string(70000, 'x'));
  auto log = open_log(small);
  for (uint64_t id = 1; names_with_prefix(data(), "snapshot-").empty(); ++id) {
    ASSERT_LE(id, 500u) << "no snapshot";
    ASSERT_TRUE(log->persist("c", sentence(id), id).is_ok());
  }
  const auto snapshots = names_with_prefix(data(), "snapshot-");
  EXPECT_EQ(segmented::parse_file_name(snapshots.front()).number, 51u) << snapshots.front();
}

// The free file is already the segment's when opening it after the rename
// fails: it must not be offered again, or every later try would rename a
// file that is gone (a failure that would make the instance refuse writes).
TEST_F(SegmentedEngineTest, RecycleFailingAfterItsRenameIsNotRetriedWithTheSameFile) {
  auto small = options();
  small.segmented.segment_bytes = 4096;
  open_log(small).reset();  // the log is in segment 1
  write_bytes(data() / segmented::free_file_name(1), std::string(4096, '\0'));
  auto log = open_faulty(small);
  faulty_->fail(Op::kOpen, 1, ENOSPC);  // opening segment-2 once free-1 is renamed to it
  uint64_t id = 1;
  Status failure;
  for (; id <= 200 && failure.is_ok(); ++id) failure = log->persist("c", sentence(id), id).status();
  ASSERT_EQ(failure.code(), Code::kNoSpace) << failure.to_string();
  --id;  // the one refused
  EXPECT_FALSE(fs::exists(data() / segmented::free_file_name(1)));
  auto retried = log->persist("c", sentence(id), id);
  ASSERT_TRUE(retried.is_ok()) << failure.to_string() << " then " << retried.status().to_string();
  EXPECT_EQ(*retried, PersistOutcome::kWritten);
  persist_sentences(*log, "c", id + 1, id + 100);
  log.reset();
  EXPECT_EQ(content_of(*reopen(), "c"), sentences(1, id + 100));
}

// A snapshot kept for recycling counts against the log the next snapshot
// waits for, whatever recycled_segments allows: a state that shrank must not
// leave its large snapshot behind, to become a segment as large.
TEST_F(SegmentedEngineTest, SnapshotOfAStateThatShrankIsRemovedNotKept) {
  auto small = tiny_options();
  auto log = open_log(small);
  ASSERT_TRUE(log->persist("big", Json{{"content", std::string(3000, 'x')}}, 1).is_ok());
  ASSERT_TRUE(log->persist("big", Json{{"content", std::string(3000, 'y')}}, 2).is_ok());
  ASSERT_TRUE(log->persist("big", Json{{"content", std::string(3000, 'z')}}, 3).is_ok());
  const auto big_snapshot = names_with_prefix(data(), "snapshot-");
  ASSERT_EQ(big_snapshot.size(), 1u);
  // Long enough to become a segment, longer than the log a small state's next snapshot waits for.
  ASSERT_GT(fs::file_size(data() / big_snapshot.front()), 4096u);
  ASSERT_TRUE(log->clear("big").is_ok());
  std::set<std::string> snapshots;
  for (uint64_t id = 1; id <= 600; ++id) {
    ASSERT_TRUE(log->persist("small", Json{{"content", "s"}}, id).is_ok());
    for (const std::string& name : names_with_prefix(data(), "snapshot-")) snapshots.insert(name);
    for (const auto& [name, size] : free_files_in(data())) {
      EXPECT_FALSE(name.ends_with(".snap")) << name << " of " << size << " bytes was kept";
    }
  }
  EXPECT_GE(snapshots.size(), 2u) << "the large snapshot was never superseded";
}

// ---- layout detection ------------------------------------------------------------

class LayoutDetectionTest : public ::testing::Test {
 protected:
  fs::path data() const { return dir_.path() / "data"; }
  WriteAheadLogOptions with_layout(Layout layout) const {
    WriteAheadLogOptions options = segmented_options_for(data());
    options.layout = layout;
    return options;
  }
  Result<std::unique_ptr<WriteAheadLog>> try_open(Layout layout) const {
    return WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                               std::make_shared<FileSystemStorage>(), with_layout(layout));
  }

  TempDir dir_;
};

TEST_F(LayoutDetectionTest, NewDirectoryIsSegmentedByDefault) {
  EXPECT_EQ(WriteAheadLogOptions().layout, Layout::kAuto);
  auto log = open_log(with_layout(Layout::kAuto));
  EXPECT_EQ(log->recovery_report().layout, Layout::kSegmented);
  EXPECT_EQ(read_bytes(data() / "LAYOUT"), "wal segmented 2\n");
}

TEST_F(LayoutDetectionTest, ExistingSeedDirectoryOpensAsSeed) {
  open_log(with_layout(Layout::kSeed))->persist("c", sentence(1), 1).status().ignore_error();
  auto log = open_log(with_layout(Layout::kAuto));
  EXPECT_EQ(log->recovery_report().layout, Layout::kSeed);
  EXPECT_EQ(content_of(*log, "c"), "Sentence 1.");
  EXPECT_FALSE(fs::exists(data() / "LAYOUT"));
}

TEST_F(LayoutDetectionTest, ExistingSegmentedDirectoryOpensAsSegmented) {
  open_log(with_layout(Layout::kSegmented))->persist("c", sentence(1), 1).status().ignore_error();
  auto log = open_log(with_layout(Layout::kAuto));
  EXPECT_EQ(log->recovery_report().layout, Layout::kSegmented);
  EXPECT_EQ(content_of(*log, "c"), "Sentence 1.");
}

TEST_F(LayoutDetectionTest, ExplicitSeedForANewDirectoryIsHonoured) {
  auto log = open_log(with_layout(Layout::kSeed));
  EXPECT_EQ(log->recovery_report().layout, Layout::kSeed);
  EXPECT_FALSE(fs::exists(data() / "LAYOUT"));
}

TEST_F(LayoutDetectionTest, SeedRequestOnASegmentedDirectoryIsRefused) {
  open_log(with_layout(Layout::kSegmented)).reset();
  auto log = try_open(Layout::kSeed);
  ASSERT_EQ(log.status().code(), Code::kInvalidArgument);
  EXPECT_NE(log.status().message().find("holds the segmented layout"), std::string::npos);
}

TEST_F(LayoutDetectionTest, SegmentedRequestOnASeedDirectoryIsRefused) {
  open_log(with_layout(Layout::kSeed))->persist("c", sentence(1), 1).status().ignore_error();
  auto log = try_open(Layout::kSegmented);
  ASSERT_EQ(log.status().code(), Code::kInvalidArgument);
  EXPECT_NE(log.status().message().find("holds the seed layout"), std::string::npos);
}

TEST_F(LayoutDetectionTest, VersionOneIsReadAndStaysVersionOne) {
  // Version 1 has persist frames only (as a stamping interpreter's records are).
  {
    auto log =
        open_log(with_layout(Layout::kSegmented), nullptr, std::make_shared<StampingInterpreter>());
    ASSERT_EQ(*log->persist("c", Json{{"content", "a"}}, 1), PersistOutcome::kWritten);
  }
  write_bytes(data() / "LAYOUT", "wal segmented 1\n");
  {
    auto log = open_log(with_layout(Layout::kAuto));
    EXPECT_EQ(log->recovery_report().layout, Layout::kSegmented);
    EXPECT_EQ(content_of(*log, "c"), "a");
    persist_sentences(*log, "c", 2, 2);
  }
  EXPECT_EQ(read_bytes(data() / "LAYOUT"), "wal segmented 1\n");
  const auto frames = persist_frames(data());
  ASSERT_EQ(frames.size(), 2u);
  for (const FrameOnDisk& frame : frames) EXPECT_EQ(frame.type, segmented::RecordType::kPersist);
  EXPECT_EQ(content_of(*open_log(with_layout(Layout::kAuto)), "c"), "a Sentence 2.");
}

TEST_F(LayoutDetectionTest, SeedClientNamedLayoutKeepsTheDirectorySeed) {
  {
    auto log = open_log(with_layout(Layout::kSeed));
    ASSERT_EQ(*log->persist("LAYOUT", sentence(1), 1), PersistOutcome::kWritten);
    ASSERT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
  }
  ASSERT_TRUE(fs::is_directory(data() / "LAYOUT"));
  auto log = open_log(with_layout(Layout::kAuto));
  EXPECT_EQ(log->recovery_report().layout, Layout::kSeed);
  EXPECT_EQ(content_of(*log, "LAYOUT"), "Sentence 1.");
  EXPECT_EQ(content_of(*log, "c"), "Sentence 1.");
}

TEST_F(LayoutDetectionTest, SegmentedDirectoryThatLostItsLayoutFileIsStillSegmented) {
  open_log(with_layout(Layout::kSegmented))->persist("c", sentence(1), 1).status().ignore_error();
  fs::remove(data() / "LAYOUT");
  auto as_seed = try_open(Layout::kSeed);
  ASSERT_EQ(as_seed.status().code(), Code::kInvalidArgument);
  EXPECT_NE(as_seed.status().message().find("holds the segmented layout"), std::string::npos);
  auto log = open_log(with_layout(Layout::kAuto));
  EXPECT_EQ(log->recovery_report().layout, Layout::kSegmented);
  EXPECT_EQ(content_of(*log, "c"), "Sentence 1.");
}

TEST_F(LayoutDetectionTest, LayoutFileOfAnotherVersionIsCorruption) {
  write_bytes(data() / "LAYOUT", "wal segmented 9\n");
  auto log = try_open(Layout::kAuto);
  ASSERT_EQ(log.status().code(), Code::kCorruption);
  EXPECT_EQ(log.status().path(), (data() / "LAYOUT").string());
}

}  // namespace
}  // namespace wal::testing
