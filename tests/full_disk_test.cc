// A full disk for real: a small tmpfs mounted for the test. Writing stops with
// kNoSpace, nothing acknowledged is lost, reading works while the disk is
// full (also after a restart), and writing resumes once space is freed.
// Needs permission to mount (root in CI); skipped with a message otherwise.
// Runs on both layouts: the segmented one preallocates its segments, so the
// disk fills while a segment is made, not only while a record is written.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "test_util.h"
#include "wal/latest_state_interpreter.h"

namespace wal::testing {
namespace {

class FullDiskTest : public ::testing::TestWithParam<Layout> {
 protected:
  void SetUp() override {
    if (::mount("tmpfs", mount_.str().c_str(), "tmpfs", 0, "size=512k") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs at " << mount_.str() << " (" << std::strerror(errno)
                   << "): run as root to test a full disk";
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(mount_.str().c_str(), MNT_DETACH);
  }

  fs::path data() const { return mount_.path() / "data"; }
  fs::path filler() const { return mount_.path() / "filler"; }

  WriteAheadLogOptions options() {
    WriteAheadLogOptions options =
        GetParam() == Layout::kSeed ? options_for(data()) : segmented_options_for(data());
    options.on_warning = [this](const Status& warning) { warnings_.push_back(warning); };
    return options;
  }

  // Persists 2 KiB messages until one fails; returns the last acknowledged id.
  uint64_t persist_until_full(WriteAheadLog& log, Status* failure) {
    for (uint64_t id = 1;; ++id) {
      auto outcome = log.persist("c", message(id), id);
      if (!outcome.is_ok()) {
        *failure = outcome.status();
        return id - 1;
      }
    }
  }

  static Json message(uint64_t id) {
    return Json{{"content", "m" + std::to_string(id) + std::string(2048, 'x')}};
  }
  static std::string contents(uint64_t first, uint64_t last) {
    std::string text;
    for (uint64_t id = first; id <= last; ++id) {
      if (!text.empty()) text += ' ';
      text += message(id)["content"].get<std::string>();
    }
    return text;
  }

  TempDir mount_;
  bool mounted_ = false;
  std::vector<Status> warnings_;
};

TEST_P(FullDiskTest, WritingStopsWithNoSpaceAndLosesNothing) {
  auto log = open_log(options());
  ASSERT_NE(log, nullptr);
  Status failure;
  const uint64_t acknowledged = persist_until_full(*log, &failure);
  ASSERT_GT(acknowledged, 0u);
  EXPECT_EQ(failure.code(), Code::kNoSpace) << failure.to_string();
  EXPECT_EQ(content_of(*log, "c"), contents(1, acknowledged));
  for (const auto& entry : fs::recursive_directory_iterator(data())) {
    EXPECT_FALSE(entry.path().filename().string().ends_with(".tmp"))
        << entry.path() << ": a failed write must not leave its temporary file";
  }
}

TEST_P(FullDiskTest, AFullDiskAtStartUpStillAllowsReading) {
  uint64_t acknowledged = 0;
  {
    auto log = open_log(options());
    ASSERT_NE(log, nullptr);
    Status failure;
    acknowledged = persist_until_full(*log, &failure);
  }
  auto reopened = WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                                      std::make_shared<FileSystemStorage>(), options());
  ASSERT_TRUE(reopened.is_ok()) << reopened.status().to_string();
  EXPECT_EQ(content_of(**reopened, "c"), contents(1, acknowledged));
  EXPECT_EQ(*(*reopened)->persist("c", message(acknowledged), acknowledged),
            PersistOutcome::kDuplicate);
}

TEST_P(FullDiskTest, WritingResumesOnceSpaceIsFreed) {
  // Most of the space goes to a file the operator can remove.
  write_bytes(filler(), std::string(256 * 1024, 'f'));
  auto log = open_log(options());
  ASSERT_NE(log, nullptr);
  Status failure;
  const uint64_t acknowledged = persist_until_full(*log, &failure);
  ASSERT_EQ(failure.code(), Code::kNoSpace) << failure.to_string();
  EXPECT_EQ(log->health().code(), Code::kOk)
      << "a full disk is not a failed sync: no reopen needed";

  fs::remove(filler());
  for (uint64_t id = acknowledged + 1; id <= acknowledged + 5; ++id) {
    auto outcome = log->persist("c", message(id), id);
    ASSERT_TRUE(outcome.is_ok()) << "id " << id << ": " << outcome.status().to_string();
    EXPECT_EQ(*outcome, PersistOutcome::kWritten);
  }
  EXPECT_EQ(content_of(*log, "c"), contents(1, acknowledged + 5));
  log.reset();
  EXPECT_EQ(content_of(*open_log(options()), "c"), contents(1, acknowledged + 5));
}

// The seed layout keeps the files a checkpoint replaced as spares
// (docs/format.md, item 8). On a full disk they are space the original would
// have had free: a client with no spares of its own gets theirs.
using SeedFullDiskTest = FullDiskTest;

TEST_P(SeedFullDiskTest, OtherClientsSparesMakeRoomOnAFullDisk) {
  auto log = open_log(options());
  ASSERT_NE(log, nullptr);
  const std::vector<std::string> holders = {"a", "b", "d", "e"};
  for (const std::string& client : holders) {
    for (uint64_t id = 1; id <= 3; ++id) {  // logs 1 and 2 become spares
      ASSERT_EQ(*log->persist(client, message(id), id), PersistOutcome::kWritten) << client;
    }
  }
  // The rest of the disk goes to a file, until not one more byte fits.
  const int filler_fd = ::open(filler().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(filler_fd, 0);
  const std::string block(4096, 'f');
  while (::write(filler_fd, block.data(), block.size()) > 0) {
  }
  while (::write(filler_fd, block.data(), 1) > 0) {
  }
  ::close(filler_fd);

  auto outcome = log->persist("c", message(1), 1);
  ASSERT_TRUE(outcome.is_ok()) << outcome.status().to_string();
  EXPECT_EQ(*outcome, PersistOutcome::kWritten);
  for (const std::string& client : holders) {
    EXPECT_EQ(content_of(*log, client), contents(1, 3)) << client;
  }
  log.reset();
  auto reopened = open_log(options());
  EXPECT_EQ(content_of(*reopened, "c"), contents(1, 1));
  for (const std::string& client : holders) {
    EXPECT_EQ(content_of(*reopened, client), contents(1, 3)) << client;
  }
}

// Segments are preallocated whole, so a full disk stops writing until a
// segment's worth is free unless a snapshot retires segments to recycle.
using SegmentedFullDiskTest = FullDiskTest;

TEST_P(SegmentedFullDiskTest, WritingResumesOnceASnapshotsWorthIsFreed) {
  for (const bool background : {false, true}) {
    SCOPED_TRACE(background ? "snapshots in the background" : "snapshots in the call");
    fs::remove_all(data());
    write_bytes(filler(), std::string(48 * 1024, 'f'));
    WriteAheadLogOptions small = options();
    small.segmented.background_work = background;
    small.segmented.segment_bytes = 128 * 1024;
    small.segmented.checkpoint_bytes = uint64_t{1} << 40;  // none until the disk is full
    // A state that stays small as the log grows, so its snapshot fits the space freed.
    const auto latest = std::make_shared<LatestStateInterpreter>();
    auto log = open_log(small, nullptr, latest);
    ASSERT_NE(log, nullptr);
    Status failure;
    const uint64_t acknowledged = persist_until_full(*log, &failure);
    ASSERT_EQ(failure.code(), Code::kNoSpace) << failure.to_string();
    fs::remove(filler());  // less than a segment

    // A background snapshot the full disk asked for may take a moment.
    const uint64_t next = acknowledged + 1;
    Result<PersistOutcome> outcome = Status::failed("not tried");
    for (int attempt = 0; attempt < 100 && !outcome.is_ok(); ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      outcome = log->persist("c", message(next), next);
    }
    ASSERT_TRUE(outcome.is_ok()) << outcome.status().to_string();
    EXPECT_EQ(*outcome, PersistOutcome::kWritten);
    log.reset();
    auto state = open_log(small, nullptr, latest)->retrieve("c");
    ASSERT_TRUE(state.is_ok()) << state.status().to_string();
    EXPECT_EQ((*state)["message_id"], next);
  }
}

INSTANTIATE_TEST_SUITE_P(Segmented, SegmentedFullDiskTest, ::testing::Values(Layout::kSegmented),
                         [](const auto& info) { return std::string(layout_name(info.param)); });

INSTANTIATE_TEST_SUITE_P(Seed, SeedFullDiskTest, ::testing::Values(Layout::kSeed),
                         [](const auto& info) { return std::string(layout_name(info.param)); });

INSTANTIATE_TEST_SUITE_P(Layouts, FullDiskTest,
                         ::testing::Values(Layout::kSeed, Layout::kSegmented),
                         [](const auto& info) { return std::string(layout_name(info.param)); });

}  // namespace
}  // namespace wal::testing
