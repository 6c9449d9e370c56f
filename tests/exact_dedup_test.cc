// DedupPolicy::kExact through the WriteAheadLog, on each layout: a message
// requeued behind a later one is written in its place, duplicates of any id
// are skipped, ids below the window are too old, and all of it survives
// restarts, snapshots and crashes.
#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "fault_injection_storage.h"
#include "id_list_util.h"
#include "segmented/snapshot.h"
#include "segmented_test_util.h"
#include "wal/list_state_interpreter.h"

namespace wal::testing {
namespace {

class ExactDedupTest : public ::testing::TestWithParam<Layout> {
 protected:
  fs::path data() const { return dir_->path() / "data"; }

  // Small files, so that a few dozen messages take checkpoints.
  WriteAheadLogOptions options(DedupPolicy policy = DedupPolicy::kExact) const {
    WriteAheadLogOptions options =
        GetParam() == Layout::kSeed ? options_for(data(), 3) : segmented_options_for(data());
    options.segmented.segment_bytes = 4096;
    options.segmented.checkpoint_bytes = 2048;
    options.dedup.policy = policy;
    options.on_warning = [](const Status& status) { ADD_FAILURE() << status.to_string(); };
    return options;
  }

  std::unique_ptr<WriteAheadLog> open(const WriteAheadLogOptions& options,
                                      std::shared_ptr<Storage> storage = nullptr) const {
    return open_log(options, std::move(storage), std::make_shared<ListStateInterpreter>());
  }
  std::unique_ptr<WriteAheadLog> open() const { return open(options()); }

  std::unique_ptr<TempDir> dir_ = std::make_unique<TempDir>();
};

// Issue 7's scenario: 5 fails and is requeued, 6 is written, 5 comes back.
TEST_P(ExactDedupTest, RequeuedMessageIsWrittenInItsPlace) {
  expect_requeued_message_written_in_its_place(
      [&] { return std::unique_ptr<DataPersistence>(open()); });
}

TEST_P(ExactDedupTest, HighWaterMarkPolicySkipsTheRequeuedMessageAsTheSeedDoes) {
  auto log = open(options(DedupPolicy::kHighWaterMark));
  for (uint64_t id : {1, 2, 3, 4, 6})
    EXPECT_EQ(persist_id(*log, "c", id), PersistOutcome::kWritten);
  EXPECT_EQ(persist_id(*log, "c", 5), PersistOutcome::kDuplicate);
  EXPECT_EQ(ids_in_state(*log, "c"), (std::vector<uint64_t>{1, 2, 3, 4, 6}));
  EXPECT_FALSE(fs::exists(data() / ".wal.dedup")) << "the directory stays as the original's";
}

TEST_P(ExactDedupTest, LateMessageLandsInItsPlaceAfterRestart) {
  {
    auto log = open();
    for (uint64_t id : {1, 2, 4, 7}) persist_id(*log, "c", id);
  }
  auto log = open();
  EXPECT_EQ(persist_id(*log, "c", 4), PersistOutcome::kDuplicate);
  EXPECT_EQ(persist_id(*log, "c", 3), PersistOutcome::kWritten);
  EXPECT_EQ(persist_id(*log, "c", 5), PersistOutcome::kWritten);
  EXPECT_EQ(ids_in_state(*log, "c"), (std::vector<uint64_t>{1, 2, 3, 4, 5, 7}));
  log.reset();
  EXPECT_EQ(ids_in_state(*open(), "c"), (std::vector<uint64_t>{1, 2, 3, 4, 5, 7}));
}

TEST_P(ExactDedupTest, WindowOverflowReportsTooOldAndWritesNothing) {
  WriteAheadLogOptions narrow = options();
  narrow.dedup.window = 10;
  {
    auto log = open(narrow);
    EXPECT_EQ(persist_id(*log, "c", 1), PersistOutcome::kWritten);
    EXPECT_EQ(persist_id(*log, "c", 30), PersistOutcome::kWritten);  // gives up 2..20
    EXPECT_EQ(persist_id(*log, "c", 5), PersistOutcome::kTooOld);
    EXPECT_EQ(persist_id(*log, "c", 20), PersistOutcome::kTooOld);
    EXPECT_EQ(persist_id(*log, "c", 21), PersistOutcome::kWritten) << "inside the window";
    EXPECT_EQ(ids_in_state(*log, "c"), (std::vector<uint64_t>{1, 21, 30}));
  }
  auto log = open(narrow);
  EXPECT_EQ(persist_id(*log, "c", 5), PersistOutcome::kTooOld) << "after restart too";
  EXPECT_EQ(persist_id(*log, "c", 30), PersistOutcome::kDuplicate);
  EXPECT_EQ(ids_in_state(*log, "c"), (std::vector<uint64_t>{1, 21, 30}));
}

TEST_P(ExactDedupTest, ReopeningWithTheOtherPolicyIsRefused) {
  { persist_id(*open(), "c", 1); }
  auto other = WriteAheadLog::open(std::make_shared<ListStateInterpreter>(),
                                   std::make_shared<FileSystemStorage>(),
                                   options(DedupPolicy::kHighWaterMark));
  ASSERT_FALSE(other.is_ok());
  EXPECT_EQ(other.status().code(), Code::kInvalidArgument);
  EXPECT_NE(other.status().message().find("exact"), std::string::npos)
      << other.status().to_string();

  dir_ = std::make_unique<TempDir>();
  { persist_id(*open(options(DedupPolicy::kHighWaterMark)), "c", 1); }
  auto exact = WriteAheadLog::open(std::make_shared<ListStateInterpreter>(),
                                   std::make_shared<FileSystemStorage>(), options());
  ASSERT_FALSE(exact.is_ok());
  EXPECT_EQ(exact.status().code(), Code::kInvalidArgument) << exact.status().to_string();
}

TEST_P(ExactDedupTest, BatchWritesLateIdsAndSkipsRepeatsWithinIt) {
  auto log = open();
  persist_id(*log, "c", 4);
  std::vector<PersistRequest> batch;
  for (uint64_t id : {6, 2, 2, 4, 3}) batch.push_back({"c", id_message(id), id});
  auto outcomes = log->persist_batch(batch);
  ASSERT_TRUE(outcomes.is_ok()) << outcomes.status().to_string();
  using enum PersistOutcome;
  EXPECT_EQ(*outcomes,
            (std::vector<PersistOutcome>{kWritten, kWritten, kDuplicate, kDuplicate, kWritten}));
  EXPECT_EQ(ids_in_state(*log, "c"), (std::vector<uint64_t>{2, 3, 4, 6}));
}

TEST_P(ExactDedupTest, ClearForgetsTheRecordedIds) {
  auto log = open();
  for (uint64_t id : {1, 3}) persist_id(*log, "c", id);
  ASSERT_TRUE(log->clear("c").is_ok());
  EXPECT_EQ(persist_id(*log, "c", 3), PersistOutcome::kWritten);
  log.reset();
  EXPECT_EQ(ids_in_state(*open(), "c"), (std::vector<uint64_t>{3}));
}

// Local disorder and redelivery, as a queue with prefetch and requeues gives,
// over several clients, with checkpoints and restarts in the middle: every
// outcome and every state matches a model.
TEST_P(ExactDedupTest, RandomRedeliveriesMatchAModelAcrossRestartsAndCheckpoints) {
  std::mt19937_64 random(7);
  const std::vector<std::string> clients{"a", "b", "c"};
  std::map<std::string, std::set<uint64_t>> model;
  std::vector<std::pair<std::string, uint64_t>> deliveries;
  for (const std::string& client : clients) {
    std::vector<uint64_t> ids = id_range(1, 120);
    for (size_t start = 0; start < ids.size(); start += 8) {  // disorder within a prefetch of 8
      std::shuffle(ids.begin() + static_cast<std::ptrdiff_t>(start),
                   ids.begin() + static_cast<std::ptrdiff_t>(std::min(start + 8, ids.size())),
                   random);
    }
    for (uint64_t id : ids) {
      deliveries.emplace_back(client, id);
      if (random() % 5 == 0) deliveries.emplace_back(client, id);  // redelivered at once
    }
  }
  // Interleave the clients, keeping each client's order.
  std::stable_sort(deliveries.begin(), deliveries.end(),
                   [](const auto& a, const auto& b) { return a.second / 8 < b.second / 8; });
  auto log = open();
  size_t delivered = 0;
  for (const auto& [client, id] : deliveries) {
    const bool fresh = model[client].insert(id).second;
    ASSERT_EQ(persist_id(*log, client, id),
              fresh ? PersistOutcome::kWritten : PersistOutcome::kDuplicate)
        << client << " " << id << " after " << delivered << " deliveries";
    if (++delivered % 97 == 0) {
      log.reset();  // restart in the middle of out-of-order traffic
      log = open();
    }
    if (delivered % 31 == 0) {
      const std::vector<uint64_t> expected(model[client].begin(), model[client].end());
      ASSERT_EQ(ids_in_state(*log, client), expected) << client << " after " << delivered;
    }
  }
  log.reset();
  log = open();
  for (const std::string& client : clients) {
    EXPECT_EQ(ids_in_state(*log, client), id_range(1, 120)) << client;
    for (uint64_t id : {1, 60, 120})
      EXPECT_EQ(persist_id(*log, client, id), PersistOutcome::kDuplicate);
  }
}

// A crash at every storage call of persists that arrive late (some of which
// take checkpoints), then recovery: what was acknowledged is there once, in
// id order, and a redelivery of each message is a duplicate.
TEST_P(ExactDedupTest, CrashAtEveryCallOfALatePersistKeepsWhatWasAcknowledged) {
  const std::vector<uint64_t> before = {1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20};
  const auto frequent = [&] {  // of the current directory
    WriteAheadLogOptions options = this->options();
    options.segmented.checkpoint_bytes = 512;  // a snapshot every few messages
    return options;
  };
  int crash_points = 0;
  for (uint64_t late = 3; late < 20; late += 2) {
    std::vector<uint64_t> earlier = before;
    for (uint64_t id = 3; id < late; id += 2) earlier.push_back(id);
    crash_points += crash_at_every_call(
        [&] {
          dir_ = std::make_unique<TempDir>();
          {
            WriteAheadLogOptions fast = frequent();  // synced once, at close
            fast.segmented.sync_policy = SyncPolicy::kNone;
            auto log = open(fast);
            for (uint64_t id : earlier) persist_id(*log, "c", id);
          }
          auto storage =
              std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
          WriteAheadLogOptions quiet = frequent();
          quiet.on_warning = [](const Status&) {};
          return std::make_pair(open(quiet, storage), storage);
        },
        [&](WriteAheadLog& log) { return log.persist("c", id_message(late), late).is_ok(); },
        [&](bool acknowledged, int k) {
          auto recovered = open(frequent());
          ASSERT_NE(recovered, nullptr) << "late " << late << ", crash after call " << k;
          std::vector<uint64_t> without = earlier;
          std::sort(without.begin(), without.end());
          std::vector<uint64_t> with = without;
          with.insert(std::upper_bound(with.begin(), with.end(), late), late);
          const std::vector<uint64_t> found = ids_in_state(*recovered, "c");
          if (acknowledged) {
            EXPECT_EQ(found, with) << "late " << late << ", crash after call " << k;
          } else {
            EXPECT_TRUE(found == with || found == without)
                << "late " << late << ", crash after " << k;
          }
          for (uint64_t id : found) {
            EXPECT_EQ(persist_id(*recovered, "c", id), PersistOutcome::kDuplicate) << id;
          }
          EXPECT_EQ(persist_id(*recovered, "c", late),
                    found == with ? PersistOutcome::kDuplicate : PersistOutcome::kWritten);
        });
  }
  RecordProperty("crash_points", crash_points);
  // Nine late persists (3, 5, ..., 19), some with a snapshot: a floor that catches a loop
  // that stopped crashing anywhere, not an exact count (reads come in blocks).
  EXPECT_GE(crash_points, 30);
}

// Memory and snapshot bytes per client on in-order traffic: the dedup state
// is a mark, with no runs and no unfolded messages, as under the seed's rule.
TEST(ExactDedupSegmentedTest, InOrderTrafficCostsAFewBytesPerClient) {
  TempDir dir;
  WriteAheadLogOptions options = segmented_options_for(dir.path());
  options.dedup.policy = DedupPolicy::kExact;
  options.segmented.checkpoint_bytes = 64 * 1024;
  {
    auto opened = WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                                      std::make_shared<FileSystemStorage>(), options);
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    std::vector<PersistRequest> batch;
    for (uint64_t id = 1; id <= 2000; ++id) {
      for (int client = 0; client < 20; ++client) {
        batch.push_back({"client-" + std::to_string(client), Json{{"content", "m"}}, id});
      }
      if (batch.size() >= 1000) {
        ASSERT_TRUE((*opened)->persist_batch(batch).is_ok());
        batch.clear();
      }
    }
  }
  const std::vector<std::string> snapshots = names_with_prefix(dir.path(), "snapshot-");
  ASSERT_EQ(snapshots.size(), 1u);
  FileSystemStorage storage;
  size_t clients = 0;
  auto loaded = segmented::load_snapshot(
      storage, (dir.path() / snapshots[0]).string(),
      segmented::parse_file_name(snapshots[0]).number,
      [&](const segmented::SnapshotEntry& entry, std::string_view json) {
        const Json frame = Json::parse(json);
        EXPECT_TRUE(frame["pending"].empty()) << entry.client_id;
        EXPECT_TRUE(frame["dedup"]["runs"].empty()) << entry.client_id;
        // What exact adds to the high-water mark's frame: the wrapper and the mark.
        EXPECT_LT(json.size() - dump_python_style(frame["state"]).size(), 120u) << json;
        ++clients;
        return Status::ok();
      });
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  EXPECT_EQ(clients, 20u);
}

INSTANTIATE_TEST_SUITE_P(Layouts, ExactDedupTest,
                         ::testing::Values(Layout::kSeed, Layout::kSegmented),
                         [](const auto& info) { return std::string(layout_name(info.param)); });

}  // namespace
}  // namespace wal::testing
