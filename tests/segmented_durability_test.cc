// What survives a crash of the segmented engine at every storage call.
//
// As in durability_test.cc, a "crash after call k" lets k storage calls
// through and fails every later one, then reopens the directory with a fresh
// storage: what a restarted process finds after a kill at that instant.
#include <set>

#include "fault_injection_storage.h"
#include "segmented_test_util.h"

namespace wal::testing {
namespace {

class SegmentedDurabilityTest : public ::testing::Test {
 protected:
  fs::path data() const { return dir_->path() / "data"; }
  // Small segments and frequent snapshots: a few messages rotate segments,
  // take snapshots and retire segments.
  WriteAheadLogOptions options() const {
    WriteAheadLogOptions options = segmented_options_for(data());
    options.segmented.segment_bytes = 4096;
    options.segmented.checkpoint_bytes = 2048;
    options.segmented.recycled_segments = 1;
    options.on_warning = [](const Status&) {};
    return options;
  }
  std::unique_ptr<WriteAheadLog> open_faulty() {
    faulty_ = std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
    return open_log(options(), faulty_);
  }
  std::unique_ptr<WriteAheadLog> reopen() const { return open_log(options()); }
  void fresh_directory() { dir_ = std::make_unique<TempDir>(); }

  // Writes messages 1..last for "c" quickly (no sync until close): the same
  // frames at the same places as persisting them one by one.
  void prefill(uint64_t last) const {
    WriteAheadLogOptions fast = options();
    fast.segmented.sync_policy = SyncPolicy::kNone;
    persist_sentences(*open_log(fast), "c", 1, last);
  }

  void expect_no_debris() const {
    for (const std::string& name : list_names(data())) {
      EXPECT_FALSE(name.ends_with(".tmp")) << name;
    }
  }

  // The ids (1-based) of the persists among 1..count that prepared a new
  // segment, and that wrote a snapshot.
  std::pair<uint64_t, uint64_t> persists_that_rotate_and_snapshot(uint64_t count) {
    fresh_directory();
    auto log = open_faulty();
    uint64_t rotates = 0;
    uint64_t snapshots = 0;
    const auto newest_segment = [&] { return names_with_prefix(data(), "segment-").back(); };
    for (uint64_t id = 1; id <= count; ++id) {
      const std::string segment = newest_segment();
      const int creates = faulty_->count(Op::kCreate);  // only snapshots make files this way
      EXPECT_TRUE(log->persist("c", sentence(id), id).is_ok());
      if (!rotates && newest_segment() != segment) rotates = id;
      if (!snapshots && faulty_->count(Op::kCreate) > creates) snapshots = id;
    }
    return {rotates, snapshots};
  }

  std::unique_ptr<TempDir> dir_ = std::make_unique<TempDir>();
  std::shared_ptr<FaultInjectionStorage> faulty_;
};

TEST_F(SegmentedDurabilityTest, CrashAtEveryCallOfPersistKeepsWhatWasAcknowledged) {
  const auto [rotates, snapshots] = persists_that_rotate_and_snapshot(80);
  ASSERT_GT(rotates, 0u);
  ASSERT_GT(snapshots, 0u);
  int crash_points = 0;
  for (const uint64_t target : std::set<uint64_t>{rotates, snapshots}) {
    crash_points += crash_at_every_call(
        [&] {
          fresh_directory();
          prefill(target - 1);
          auto log = open_faulty();
          return std::make_pair(std::move(log), faulty_);
        },
        [&](WriteAheadLog& log) { return log.persist("c", sentence(target), target).is_ok(); },
        [&](bool acknowledged, int k) {
          auto recovered = reopen();
          ASSERT_NE(recovered, nullptr) << "message " << target << ", crash after call " << k;
          const std::string content = content_of(*recovered, "c");
          if (acknowledged) {
            EXPECT_EQ(content, sentences(1, target)) << "crash after call " << k;
          } else {
            EXPECT_TRUE(content == sentences(1, target - 1) || content == sentences(1, target))
                << "crash after call " << k << ": " << content;
          }
          const bool present = content == sentences(1, target);
          EXPECT_EQ(*recovered->persist("c", sentence(target), target),
                    present ? PersistOutcome::kDuplicate : PersistOutcome::kWritten);
          persist_sentences(*recovered, "c", target + 1, target + 10);  // the log goes on
          recovered.reset();
          EXPECT_EQ(content_of(*reopen(), "c"), sentences(1, target + 10)) << "crash after " << k;
          expect_no_debris();
        });
  }
  EXPECT_NE(rotates, snapshots);
  EXPECT_GE(crash_points, 20);
}

TEST_F(SegmentedDurabilityTest, CrashAtEveryCallOfClearLeavesAllOrNothing) {
  crash_at_every_call(
      [&] {
        fresh_directory();
        prefill(4);
        auto log = open_faulty();
        return std::make_pair(std::move(log), faulty_);
      },
      [](WriteAheadLog& log) { return log.clear("c").is_ok(); },
      [&](bool acknowledged, int k) {
        const std::string content = content_of(*reopen(), "c");
        if (acknowledged) {
          EXPECT_EQ(content, "") << "crash after call " << k;
        } else {
          EXPECT_TRUE(content.empty() || content == sentences(1, 4)) << content;
        }
        expect_no_debris();
      });
}

TEST_F(SegmentedDurabilityTest, CrashAtEveryCallOfPersistBatchLeavesAPrefixOrAll) {
  // 60 messages over three clients: more than a segment holds.
  std::vector<PersistRequest> batch;
  for (uint64_t id = 1; id <= 20; ++id) {
    for (const char* client : {"a", "b", "c"}) batch.push_back({client, sentence(id), id});
  }
  crash_at_every_call(
      [&] {
        fresh_directory();
        auto log = open_faulty();
        return std::make_pair(std::move(log), faulty_);
      },
      [&](WriteAheadLog& log) { return log.persist_batch(batch).is_ok(); },
      [&](bool acknowledged, int k) {
        auto recovered = reopen();
        ASSERT_NE(recovered, nullptr) << "crash after call " << k;
        for (const char* client : {"a", "b", "c"}) {
          const std::string content = content_of(*recovered, client);
          const std::optional<uint64_t> mark = mark_of(*recovered, client);
          if (acknowledged) {
            EXPECT_EQ(content, sentences(1, 20)) << "crash after call " << k;
          } else {
            // Whatever reached the log is a prefix of the batch, in order.
            EXPECT_EQ(content, mark ? sentences(1, *mark) : "") << "crash after call " << k;
          }
        }
        auto retried = recovered->persist_batch(batch);
        ASSERT_TRUE(retried.is_ok()) << retried.status().to_string();
        for (const char* client : {"a", "b", "c"}) {
          EXPECT_EQ(content_of(*recovered, client), sentences(1, 20));
        }
        expect_no_debris();
      });
}

TEST_F(SegmentedDurabilityTest, CrashAtEveryCallOfStartUpThenStartUpAgain) {
  // A torn tail to cut, a temporary file, and segments a snapshot covers.
  const auto make_debris = [&] {
    prefill(60);
    const FrameOnDisk last = persist_frames(data()).back();
    flip_byte(last.path, last.offset + last.size - 2);
    write_bytes(data() / "segment-00000000000000000999.log.tmp", std::string(64, '\0'));
  };
  for (int k = 0;; ++k) {
    fresh_directory();
    make_debris();
    faulty_ = std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
    faulty_->crash_after(k);
    auto crashed =
        WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(), faulty_, options());
    const bool finished = crashed.is_ok() && faulty_->calls() <= k;
    crashed = Status::failed("closed");  // releases the lock

    auto recovered = reopen();
    ASSERT_NE(recovered, nullptr) << "crash after call " << k;
    EXPECT_EQ(content_of(*recovered, "c"), sentences(1, 59)) << "crash after call " << k;
    EXPECT_EQ(*recovered->persist("c", sentence(60), 60), PersistOutcome::kWritten);
    expect_no_debris();
    if (finished) break;
  }
}

}  // namespace
}  // namespace wal::testing
