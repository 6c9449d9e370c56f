// What survives a crash of the segmented engine at every storage call.
//
// As in durability_test.cc, a "crash after call k" lets k storage calls
// through and fails every later one, then reopens the directory with a fresh
// storage: what a restarted process finds after a kill at that instant.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <thread>

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

  // Which call of its kind (1-based) calls[i] is: what FaultInjectionStorage::fail takes.
  static int nth_of_its_kind(const std::vector<std::pair<Op, std::string>>& calls, size_t i) {
    return static_cast<int>(
        std::count_if(calls.begin(), calls.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                      [&](const auto& call) { return call.first == calls[i].first; }));
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

const char* op_name(Op op) {
  switch (op) {
    case Op::kCreate:
      return "create";
    case Op::kAppend:
      return "append";
    case Op::kSync:
      return "sync";
    case Op::kClose:
      return "close";
    case Op::kRead:
      return "read";
    case Op::kSyncFile:
      return "sync_file";
    case Op::kRename:
      return "rename";
    case Op::kRemove:
      return "remove";
    case Op::kCreateDir:
      return "create_dir";
    case Op::kRemoveDir:
      return "remove_dir";
    case Op::kSyncDir:
      return "sync_dir";
    case Op::kList:
      return "list";
    case Op::kLock:
      return "lock";
    case Op::kOpen:
      return "open";
    case Op::kWriteAt:
      return "write_at";
    case Op::kReadAt:
      return "read_at";
    case Op::kTruncate:
      return "truncate";
  }
  return "?";
}

// An I/O error (EIO, ENOSPC) at each storage call of a persist that rotates
// segments and of one that takes a snapshot, once and persistently (every
// later call of that kind fails too), until the disk works again:
//  - a persist that returns an error is not acknowledged, and one that
//    returns OK is durable (a failed snapshot only warns: the message was
//    already in the log);
//  - a failed file sync of a segment leaves the instance failed (kFailed)
//    until it is reopened; other errors are not sticky, and the next persist
//    after the disk works again is written;
//  - after a reopen every acknowledged message is there exactly once, the
//    log goes on, and no temporary file is left behind.
TEST_F(SegmentedDurabilityTest, IoErrorAtEveryCallOfPersistIsNeverAcknowledged) {
  const auto [rotates, snapshots] = persists_that_rotate_and_snapshot(80);
  ASSERT_GT(rotates, 0u);
  ASSERT_GT(snapshots, 0u);
  int cases = 0;
  int refused = 0;
  int sticky = 0;
  for (const uint64_t target : std::set<uint64_t>{rotates, snapshots}) {
    // The storage calls the persist makes, in order.
    fresh_directory();
    prefill(target - 1);
    std::vector<std::pair<Op, std::string>> calls;
    {
      auto log = open_faulty();
      faulty_->start_trace();
      ASSERT_TRUE(log->persist("c", sentence(target), target).is_ok());
      calls = faulty_->trace();
    }
    ASSERT_FALSE(calls.empty());
    for (size_t i = 0; i < calls.size(); ++i) {
      const Op op = calls[i].first;
      const std::string& path = calls[i].second;
      const int nth = nth_of_its_kind(calls, i);
      for (const int error : {EIO, ENOSPC}) {
        for (const bool persistent : {false, true}) {
          ++cases;
          const std::string what = "message " + std::to_string(target) + ": " +
                                   std::strerror(error) + (persistent ? " from " : " at ") +
                                   op_name(op) + " #" + std::to_string(nth) + " (" + path + ")";
          fresh_directory();
          prefill(target - 1);
          auto log = open_faulty();
          faulty_->fail(op, nth, error, persistent);
          auto outcome = log->persist("c", sentence(target), target);
          faulty_->heal();
          const bool acknowledged = outcome.is_ok();
          const bool segment_sync = op == Op::kSync && path.find("segment-") != std::string::npos &&
                                    path.ends_with(".log");
          if (segment_sync) {
            // fsyncgate: the kernel may have dropped the pages it could not write.
            EXPECT_FALSE(acknowledged) << what;
            EXPECT_EQ(log->health().code(), Code::kFailed) << what;
          }
          uint64_t next = target;
          if (acknowledged) {
            EXPECT_EQ(*outcome, PersistOutcome::kWritten) << what;
            next = target + 1;
          } else {
            ++refused;
            const Code code = outcome.status().code();
            EXPECT_TRUE(code == Code::kIOError || code == Code::kNoSpace || code == Code::kFailed)
                << what << ": " << outcome.status().to_string();
            EXPECT_EQ(mark_of(*log, "c"), target - 1) << what << ": an error acknowledged";
          }
          if (log->health().code() == Code::kFailed) {
            ++sticky;
            EXPECT_EQ(log->persist("c", sentence(next), next).status().code(), Code::kFailed)
                << what << ": failed until reopened";
            log.reset();
            log = reopen();
            ASSERT_NE(log, nullptr) << what;
            const std::string content = content_of(*log, "c");
            if (acknowledged) {
              EXPECT_EQ(content, sentences(1, target)) << what;
            } else {
              EXPECT_TRUE(content == sentences(1, target - 1) || content == sentences(1, target))
                  << what << ": " << content;
              if (content == sentences(1, target)) next = target + 1;
            }
          }
          // The disk works again: the log goes on, and nothing is lost.
          for (uint64_t id = next; id <= target + 5; ++id) {
            auto written = log->persist("c", sentence(id), id);
            ASSERT_TRUE(written.is_ok()) << what << ": " << written.status().to_string();
            EXPECT_EQ(*written, PersistOutcome::kWritten) << what << ", message " << id;
          }
          log.reset();
          EXPECT_EQ(content_of(*reopen(), "c"), sentences(1, target + 5)) << what;
          expect_no_debris();
        }
      }
    }
  }
  std::printf("%d I/O errors injected: %d persists refused, %d left the instance failed\n", cases,
              refused, sticky);
  EXPECT_GT(refused, 0);
  EXPECT_GT(sticky, 0);
}

// I/O errors (EIO, ENOSPC), once and persistent, at every storage call of
// `clear`: an error is never reported as done; the client is then either
// whole or gone, also after a reopen; a failed segment sync leaves the
// instance failed until reopened; once the disk works again, `clear` goes
// through and the client stays gone.
TEST_F(SegmentedDurabilityTest, IoErrorAtEveryCallOfClearIsAllOrNothing) {
  fresh_directory();
  prefill(4);
  std::vector<std::pair<Op, std::string>> calls;
  {
    auto log = open_faulty();
    faulty_->start_trace();
    ASSERT_TRUE(log->clear("c").is_ok());
    calls = faulty_->trace();
  }
  ASSERT_FALSE(calls.empty());
  int cases = 0;
  int refused = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    const Op op = calls[i].first;
    const int nth = nth_of_its_kind(calls, i);
    for (const int error : {EIO, ENOSPC}) {
      for (const bool persistent : {false, true}) {
        ++cases;
        const std::string what = std::string("clear: ") + std::strerror(error) +
                                 (persistent ? " from " : " at ") + op_name(op) + " #" +
                                 std::to_string(nth) + " (" + calls[i].second + ")";
        fresh_directory();
        prefill(4);
        auto log = open_faulty();
        faulty_->fail(op, nth, error, persistent);
        const Status cleared = log->clear("c");
        faulty_->heal();
        if (!cleared.is_ok()) ++refused;
        if (log->health().code() == Code::kFailed) {
          log.reset();
          log = reopen();
          ASSERT_NE(log, nullptr) << what;
        }
        const std::string content = content_of(*log, "c");
        if (cleared.is_ok()) {
          EXPECT_EQ(content, "") << what;
        } else {
          EXPECT_TRUE(content.empty() || content == sentences(1, 4)) << what << ": " << content;
        }
        log.reset();
        EXPECT_EQ(content_of(*reopen(), "c"), content) << what << ": a reopen changed the state";
        log = reopen();
        ASSERT_TRUE(log->clear("c").is_ok()) << what;
        log.reset();
        EXPECT_EQ(content_of(*reopen(), "c"), "") << what;
        expect_no_debris();
      }
    }
  }
  std::printf("%d I/O errors injected into clear: %d refused\n", cases, refused);
  EXPECT_GT(refused, 0);
}

// A real kill -9 of a process writing from four threads, with segments
// rotating and snapshots running in the background: every message it
// acknowledged (reported on a pipe after persist returned) is there after a
// restart, under every sync policy (a killed process leaves the page cache).
TEST_F(SegmentedDurabilityTest, KilledProcessKeepsEveryAcknowledgedMessage) {
  constexpr int kThreads = 4;
  for (const SyncPolicy policy : {SyncPolicy::kAlways, SyncPolicy::kInterval, SyncPolicy::kNone}) {
    fresh_directory();
    WriteAheadLogOptions busy = options();
    busy.segmented.sync_policy = policy;
    busy.segmented.background_work = true;
    busy.segmented.segment_bytes = 16 * 1024;
    busy.segmented.checkpoint_bytes = 8 * 1024;
    int acks[2];
    ASSERT_EQ(::pipe(acks), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(acks[0]);
      auto log = WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                                     std::make_shared<FileSystemStorage>(), busy);
      if (!log.is_ok()) ::_exit(2);
      std::vector<std::thread> threads;
      for (uint64_t t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          for (uint64_t id = 1;; ++id) {
            if (!(*log)->persist("client-" + std::to_string(t), sentence(id), id).is_ok()) {
              ::_exit(3);
            }
            const uint64_t ack[2] = {t, id};
            if (::write(acks[1], ack, sizeof ack) != sizeof ack) ::_exit(4);
          }
        });
      }
      for (auto& thread : threads) thread.join();
      ::_exit(0);
    }
    ::close(acks[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself: " << status;
    uint64_t acknowledged[kThreads] = {};
    uint64_t ack[2];
    while (::read(acks[0], ack, sizeof ack) == sizeof ack) {
      acknowledged[ack[0]] = std::max(acknowledged[ack[0]], ack[1]);
    }
    ::close(acks[0]);

    auto recovered = reopen();
    ASSERT_NE(recovered, nullptr);
    for (int t = 0; t < kThreads; ++t) {
      const std::string client = "client-" + std::to_string(t);
      const std::optional<uint64_t> mark = mark_of(*recovered, client);
      EXPECT_GE(mark.value_or(0), acknowledged[t]) << client;
      EXPECT_EQ(content_of(*recovered, client), mark ? sentences(1, *mark) : "") << client;
    }
  }
}

}  // namespace
}  // namespace wal::testing
