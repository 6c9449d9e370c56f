// The exact dedup policy on the seed layout (issue 7): a message requeued
// behind a later one is written in its place, recovery rebuilds the same
// dedup state after a restart or a crash, and ids below the window are
// reported too old.
#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "fault_injection_storage.h"
#include "power_cut_storage.h"
#include "test_util.h"

namespace wal::testing {
namespace {

// What message `id` carries: its id, so that a state shows the order.
Json message(uint64_t id) { return Json("message " + std::to_string(id)); }

// The list state holding the messages of `ids`, lowest id first.
Json list_of(const std::set<uint64_t>& ids) {
  Json state = Json{{"messages", Json::array()}};
  for (uint64_t id : ids) state["messages"].push_back(message(id));
  return state;
}

// The "_metadata" of the only checkpoint in `dir`.
Json checkpoint_metadata(const fs::path& dir) {
  const std::string bytes = read_bytes(dir / only_file_with_prefix(dir, "checkpoint_"));
  const size_t body = bytes.find('\n');
  EXPECT_NE(body, std::string::npos) << bytes;
  return Json::parse(bytes.substr(body + 1))["_metadata"];
}

class SeedExactDedupTest : public ::testing::Test {
 public:
  fs::path data() const { return root_.path() / "data"; }
  fs::path folder() const { return data() / "c"; }

  WriteAheadLogOptions exact_options(uint32_t threshold = 3) const {
    WriteAheadLogOptions options = options_for(data(), threshold);
    options.dedup.policy = DedupPolicy::kExact;
    options.on_warning = [](const Status&) {};  // crash tests fail checkpoints on purpose
    return options;
  }

  // A log with the list interpreter; null (and a failed test) if it does not open.
  static std::unique_ptr<WriteAheadLog> open_list(const WriteAheadLogOptions& options,
                                                  std::shared_ptr<Storage> storage = nullptr) {
    return open_log(options, std::move(storage), std::make_shared<ListStateInterpreter>());
  }

  // A restart: the directory is closed before it opens again.
  static void reopen(std::unique_ptr<WriteAheadLog>& log, const WriteAheadLogOptions& options) {
    log.reset();
    log = open_list(options);
    ASSERT_NE(log, nullptr);
  }

  static PersistOutcome persist(WriteAheadLog& log, uint64_t id) {
    auto outcome = log.persist("c", message(id), id);
    EXPECT_TRUE(outcome.is_ok()) << "id " << id << ": " << outcome.status().to_string();
    return outcome.is_ok() ? *outcome : PersistOutcome::kDuplicate;
  }

  static Json state_of(WriteAheadLog& log) {
    auto state = log.retrieve("c");
    EXPECT_TRUE(state.is_ok()) << state.status().to_string();
    return state.is_ok() ? *state : Json();
  }

 protected:
  // Whether a log file of `id` is in the client folder.
  bool log_file_exists(uint64_t id) const {
    const std::string suffix = "_" + std::to_string(id) + ".log";
    for (const std::string& name : names_with_prefix(folder(), "log_")) {
      if (name.ends_with(suffix)) return true;
    }
    return false;
  }

  TempDir root_{scratch_parent()};
};

// Deliveries of ids 1..count as a consumer with prefetch sees them: each id
// comes late by up to `spread` places, and some come again.
std::vector<uint64_t> redeliveries(uint64_t count, uint32_t spread, uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<std::pair<uint64_t, uint64_t>> keyed;  // (place, id)
  for (uint64_t id = 1; id <= count; ++id) {
    const int copies =
        1 + static_cast<int>(random() % 4 == 0) + static_cast<int>(random() % 8 == 0);
    for (int copy = 0; copy < copies; ++copy) keyed.emplace_back(id + random() % (spread + 1), id);
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<uint64_t> ids;
  for (const auto& [place, id] : keyed) ids.push_back(id);
  return ids;
}

// A message that would bring the client to the threshold goes into the
// checkpoint in place of its log file only when every log folds and it is
// the last in id order. Above a gap it is not folded: it is a log file, and
// the state merges the late id below it in place.
TEST_F(SeedExactDedupTest, MessageAboveAGapIsALogFile) {
  auto log = open_list(exact_options(2));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(persist(*log, 1), PersistOutcome::kWritten);
  EXPECT_EQ(persist(*log, 3), PersistOutcome::kWritten);
  EXPECT_TRUE(log_file_exists(3));
  EXPECT_EQ(persist(*log, 2), PersistOutcome::kWritten);
  EXPECT_EQ(state_of(*log), list_of({1, 2, 3}));
  reopen(log, exact_options(2));
  EXPECT_EQ(state_of(*log), list_of({1, 2, 3}));
}

// The names of the files `trace` shows created, as "log <id>" or "checkpoint".
std::vector<std::string> files_created(const std::vector<std::pair<Op, std::string>>& trace) {
  std::vector<std::string> created;
  for (const auto& [op, path] : trace) {
    if (op != Op::kCreate) continue;
    const std::string name = fs::path(path).filename();
    if (name.starts_with("checkpoint_")) {
      created.push_back("checkpoint");
    } else if (name.starts_with("log_")) {
      const size_t id_start = name.rfind('_') + 1;
      created.push_back("log " + name.substr(id_start, name.find('.') - id_start));
    }
  }
  return created;
}

// In order and with no gap, the message that reaches the threshold is
// written only in the checkpoint, which carries the dedup state with it.
TEST_F(SeedExactDedupTest, InOrderMessageCompletingACheckpointIsWrittenOnlyInIt) {
  auto storage = std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
  auto log = open_list(exact_options(3), storage);
  ASSERT_NE(log, nullptr);
  storage->start_trace();
  for (uint64_t id : {1, 2, 3}) EXPECT_EQ(persist(*log, id), PersistOutcome::kWritten);
  EXPECT_EQ(files_created(storage->trace()),
            (std::vector<std::string>{"log 1", "log 2", "checkpoint"}));
  EXPECT_TRUE(names_with_prefix(folder(), "log_").empty());
  const Json metadata = checkpoint_metadata(folder());
  EXPECT_EQ(metadata["max_message_id"], 3);
  EXPECT_EQ(metadata["dedup"],
            Json::parse(R"({"low_water_mark": 3, "recorded_from": 1, "runs": []})"));
  reopen(log, exact_options(3));
  EXPECT_EQ(state_of(*log), list_of({1, 2, 3}));
  EXPECT_EQ(persist(*log, 3), PersistOutcome::kDuplicate);
  EXPECT_EQ(persist(*log, 4), PersistOutcome::kWritten);
}

// A late message that closes a gap and brings the client to the threshold is
// written as a log file and folded by the checkpoint after it, in id order.
TEST_F(SeedExactDedupTest, LateMessageCompletingACheckpointMergesInPlace) {
  auto storage = std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
  auto log = open_list(exact_options(3), storage);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(persist(*log, 1), PersistOutcome::kWritten);
  EXPECT_EQ(persist(*log, 3), PersistOutcome::kWritten);
  storage->start_trace();
  EXPECT_EQ(persist(*log, 2), PersistOutcome::kWritten);
  EXPECT_EQ(files_created(storage->trace()), (std::vector<std::string>{"log 2", "checkpoint"}));
  EXPECT_TRUE(names_with_prefix(folder(), "log_").empty());
  EXPECT_EQ(checkpoint_metadata(folder())["max_message_id"], 3);
  EXPECT_EQ(state_of(*log), list_of({1, 2, 3}));
  reopen(log, exact_options(3));
  EXPECT_EQ(state_of(*log), list_of({1, 2, 3}));
}

// The checkpoint after a late message's log fails: the message is
// acknowledged, the failure is reported once, and the next persist, which
// completes the checkpoint, folds everything.
TEST_F(SeedExactDedupTest, FailedCheckpointAfterALateMessageIsReportedAndRetried) {
  auto storage = std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
  std::vector<Status> warnings;
  WriteAheadLogOptions options = exact_options(3);
  options.on_warning = [&](const Status& warning) { warnings.push_back(warning); };
  auto log = open_list(options, storage);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(persist(*log, 1), PersistOutcome::kWritten);
  EXPECT_EQ(persist(*log, 3), PersistOutcome::kWritten);
  storage->fail(Op::kCreate, 2, ENOSPC);  // the late log is create #1, its checkpoint #2
  EXPECT_EQ(persist(*log, 2), PersistOutcome::kWritten);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].code(), Code::kNoSpace);
  EXPECT_NE(warnings[0].message().find("will be retried"), std::string::npos);
  EXPECT_EQ(names_with_prefix(folder(), "log_").size(), 3u);

  storage->start_trace();
  EXPECT_EQ(persist(*log, 4), PersistOutcome::kWritten);
  EXPECT_EQ(files_created(storage->trace()), (std::vector<std::string>{"checkpoint"}));
  EXPECT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(names_with_prefix(folder(), "log_").empty());
  reopen(log, exact_options(3));
  EXPECT_EQ(state_of(*log), list_of({1, 2, 3, 4}));
}

TEST_F(SeedExactDedupTest, RandomRedeliveriesWithRestartsMatchAModel) {
  for (uint32_t seed = 0; seed < 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    fs::remove_all(data());
    const std::vector<uint64_t> deliveries = redeliveries(40, 2 + seed % 6, seed);
    auto log = open_list(exact_options(2 + seed % 3));
    std::set<uint64_t> model;
    int late_writes = 0;
    for (size_t i = 0; i < deliveries.size(); ++i) {
      const uint64_t id = deliveries[i];
      const bool is_new = !model.contains(id);
      late_writes += is_new && !model.empty() && id < *model.rbegin();
      ASSERT_EQ(persist(*log, id), is_new ? PersistOutcome::kWritten : PersistOutcome::kDuplicate)
          << "delivery " << i << ", id " << id;
      model.insert(id);
      if (i % 13 == 12) reopen(log, exact_options(2 + seed % 3));  // a restart
      ASSERT_EQ(state_of(*log), list_of(model)) << "after delivery " << i;
    }
    EXPECT_EQ(mark_of(*log, "c"), *model.rbegin());
    EXPECT_GT(late_writes, 0) << "the deliveries should have come out of order";
  }
}

// Replays the same traffic with a restart before delivery `restart_at`
// (none when past the end); returns the outcomes and the final state.
std::pair<std::vector<PersistOutcome>, Json> replay(const WriteAheadLogOptions& options,
                                                    const std::vector<uint64_t>& deliveries,
                                                    size_t restart_at) {
  fs::remove_all(options.base_dir);
  auto log = SeedExactDedupTest::open_list(options);
  std::vector<PersistOutcome> outcomes;
  for (size_t i = 0; i < deliveries.size() && log; ++i) {
    if (i == restart_at) {
      log.reset();  // closes the directory before it opens again
      log = SeedExactDedupTest::open_list(options);
      if (!log) break;
    }
    outcomes.push_back(SeedExactDedupTest::persist(*log, deliveries[i]));
  }
  return {outcomes, log ? SeedExactDedupTest::state_of(*log) : Json()};
}

TEST_F(SeedExactDedupTest, ClassificationsAfterARestartEqualThoseWithout) {
  // Checkpoints every few settled logs, and none at all (start-up then
  // replays every log). A small window and few gaps, so that ids are given
  // up and come back too old.
  std::map<PersistOutcome, int> seen;
  for (uint32_t threshold : {3u, 1000u}) {
    for (uint32_t seed = 0; seed < 3; ++seed) {
      SCOPED_TRACE("threshold " + std::to_string(threshold) + ", seed " + std::to_string(seed));
      WriteAheadLogOptions options = exact_options(threshold);
      options.dedup.window = 6;
      options.dedup.max_gaps = 2;
      const std::vector<uint64_t> deliveries = redeliveries(30, 8, seed);
      const auto [outcomes, state] = replay(options, deliveries, deliveries.size());
      for (PersistOutcome outcome : outcomes) ++seen[outcome];
      for (size_t restart_at = 1; restart_at < deliveries.size(); ++restart_at) {
        const auto [restarted, restarted_state] = replay(options, deliveries, restart_at);
        EXPECT_EQ(restarted, outcomes) << "restart before delivery " << restart_at;
        EXPECT_EQ(restarted_state, state) << "restart before delivery " << restart_at;
      }
    }
  }
  EXPECT_GT(seen[PersistOutcome::kTooOld], 0);
  EXPECT_GT(seen[PersistOutcome::kDuplicate], 0);
}

TEST_F(SeedExactDedupTest, IdsBelowTheWindowAreTooOldAndNotWritten) {
  WriteAheadLogOptions options = exact_options(100);
  options.dedup.window = 10;
  auto log = open_list(options);
  EXPECT_EQ(persist(*log, 1), PersistOutcome::kWritten);
  EXPECT_EQ(persist(*log, 20), PersistOutcome::kWritten);
  // 20 moved the window to 11..20: 2..10 were never recorded and are given up.
  EXPECT_EQ(persist(*log, 5), PersistOutcome::kTooOld);
  EXPECT_EQ(persist(*log, 10), PersistOutcome::kTooOld);
  EXPECT_EQ(persist(*log, 11), PersistOutcome::kWritten);
  EXPECT_FALSE(log_file_exists(5));
  EXPECT_FALSE(log_file_exists(10));
  EXPECT_EQ(state_of(*log), list_of({1, 11, 20}));

  reopen(log, options);
  EXPECT_EQ(persist(*log, 5), PersistOutcome::kTooOld);
  EXPECT_EQ(persist(*log, 11), PersistOutcome::kDuplicate);
  EXPECT_EQ(persist(*log, 12), PersistOutcome::kWritten);
  EXPECT_EQ(state_of(*log), list_of({1, 11, 12, 20}));
}

TEST_F(SeedExactDedupTest, TooManyGapsGiveUpTheOldest) {
  WriteAheadLogOptions options = exact_options(100);
  options.dedup.max_gaps = 2;
  auto log = open_list(options);
  for (uint64_t id : {1, 3, 5, 7}) EXPECT_EQ(persist(*log, id), PersistOutcome::kWritten);
  // Three gaps (2, 4, 6): the oldest is given up.
  EXPECT_EQ(persist(*log, 2), PersistOutcome::kTooOld);
  EXPECT_FALSE(log_file_exists(2));
  EXPECT_EQ(persist(*log, 4), PersistOutcome::kWritten);
  reopen(log, options);
  EXPECT_EQ(persist(*log, 2), PersistOutcome::kTooOld);
  EXPECT_EQ(persist(*log, 6), PersistOutcome::kWritten);
  EXPECT_EQ(state_of(*log), list_of({1, 3, 4, 5, 6, 7}));
}

TEST_F(SeedExactDedupTest, CheckpointFoldsOnlySettledLogsAndCarriesTheState) {
  auto log = open_list(exact_options(3));
  for (uint64_t id : {1, 2, 4, 5, 7}) EXPECT_EQ(persist(*log, id), PersistOutcome::kWritten);
  EXPECT_TRUE(names_with_prefix(folder(), "checkpoint_").empty()) << "only 1 and 2 are settled";
  EXPECT_EQ(persist(*log, 3), PersistOutcome::kWritten);  // settles 1..5
  const Json metadata = checkpoint_metadata(folder());
  EXPECT_EQ(metadata["max_message_id"], 5);
  EXPECT_EQ(metadata["dedup"], Json::parse(R"({"low_water_mark": 5, "recorded_from": 1,
                                                "runs": [[7, 7]]})"));
  EXPECT_EQ(names_with_prefix(folder(), "log_").size(), 1u);
  EXPECT_TRUE(log_file_exists(7));
  EXPECT_EQ(state_of(*log), list_of({1, 2, 3, 4, 5, 7}));
}

TEST_F(SeedExactDedupTest, CheckpointWithoutDedupStateIsDamage) {
  {
    auto log = open_log(exact_options());
    persist_sentences(*log, "c", 1, 2);
    persist_sentences(*log, "d", 1, 1);
  }
  // A checkpoint as the original writes it: no "dedup" in its "_metadata".
  const fs::path checkpoint =
      write_original_checkpoint(folder(), "COMPLETED", "99999999999999", "x", "2");
  auto log = open_log(exact_options());
  ASSERT_NE(log, nullptr);
  auto state = log->retrieve("c");
  ASSERT_FALSE(state.is_ok());
  EXPECT_EQ(state.status().code(), Code::kCorruption);
  EXPECT_NE(state.status().to_string().find(checkpoint.string()), std::string::npos)
      << state.status().to_string();
  EXPECT_EQ(content_of(*log, "d"), sentences(1, 1));
}

// A checkpoint after 10,000 in-order ids carries a state of a few bytes.
TEST_F(SeedExactDedupTest, InOrderTrafficKeepsNoRuns) {
  {
    auto log = open_list(exact_options(100));
    ASSERT_NE(log, nullptr);
    for (uint64_t id = 1; id <= 10'000; ++id) {
      ASSERT_EQ(persist(*log, id), PersistOutcome::kWritten);
    }
    EXPECT_EQ(mark_of(*log, "c"), 10'000u);
  }
  const Json metadata = checkpoint_metadata(folder());
  EXPECT_EQ(metadata["dedup"], Json::parse(R"({"low_water_mark": 10000, "recorded_from": 1,
                                                "runs": []})"));
  EXPECT_LT(metadata["dedup"].dump().size(), 64u);
  EXPECT_TRUE(names_with_prefix(folder(), "log_").empty());
}

// ---- crashes ----------------------------------------------------------------

// 1..3 checkpointed, 5, 6 and 8 live; 4 comes late and settles 4..6, which
// makes a checkpoint that leaves 8 live.
constexpr uint64_t kBefore[] = {1, 2, 3, 5, 6, 8};
constexpr uint64_t kLate = 4;

// After a crash: every message once, in id order, the late one there if it
// was acknowledged; the dedup state agrees with the messages.
void check_recovered(WriteAheadLog& log, bool acknowledged, const std::string& what) {
  const std::set<uint64_t> before(std::begin(kBefore), std::end(kBefore));
  std::set<uint64_t> with_late = before;
  with_late.insert(kLate);
  auto state = log.retrieve("c");
  ASSERT_TRUE(state.is_ok()) << what << ": " << state.status().to_string();
  if (acknowledged) {
    ASSERT_EQ(*state, list_of(with_late)) << what;
  } else {
    ASSERT_TRUE(*state == list_of(before) || *state == list_of(with_late)) << what << *state;
  }
  const bool present = *state == list_of(with_late);
  EXPECT_EQ(*log.persist("c", message(kLate), kLate),
            present ? PersistOutcome::kDuplicate : PersistOutcome::kWritten)
      << what;
  for (uint64_t id : before) {
    EXPECT_EQ(*log.persist("c", message(id), id), PersistOutcome::kDuplicate) << what << id;
  }
  EXPECT_EQ(*log.persist("c", message(7), 7), PersistOutcome::kWritten) << what;
  with_late.insert(7);
  EXPECT_EQ(*log.retrieve("c"), list_of(with_late)) << what;
}

TEST_F(SeedExactDedupTest, CrashAtEveryCallOfALatePersistAndItsCheckpoint) {
  const int crash_points = crash_at_every_call(
      [&] {
        fs::remove_all(data());
        auto storage =
            std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
        auto log = open_list(exact_options(3), storage);
        for (uint64_t id : kBefore) EXPECT_EQ(persist(*log, id), PersistOutcome::kWritten);
        return std::make_pair(std::move(log), storage);
      },
      [](WriteAheadLog& log) { return log.persist("c", message(kLate), kLate).is_ok(); },
      [&](bool acknowledged, int k) {
        auto recovered = open_list(exact_options(3));
        ASSERT_NE(recovered, nullptr);
        check_recovered(*recovered, acknowledged, "crash after call " + std::to_string(k));
      });
  // A log write (5 calls) and a checkpoint: read, write, remove.
  RecordProperty("crash_points", crash_points);
  EXPECT_GE(crash_points, 14);
}

TEST_F(SeedExactDedupTest, PowerCutAtEveryCallOfALatePersistAndItsCheckpoint) {
  int points = 0;
  for (int k = 0;; ++k) {
    bool finished = false;
    for (PowerCut mode : {PowerCut::kDropUnsynced, PowerCut::kTornTails, PowerCut::kAnySubset}) {
      for (uint32_t seed = 0; seed < (mode == PowerCut::kDropUnsynced ? 1u : 3u); ++seed) {
        fs::remove_all(data());
        {
          auto log = open_list(exact_options(3));
          for (uint64_t id : kBefore) EXPECT_EQ(persist(*log, id), PersistOutcome::kWritten);
        }
        auto storage = std::make_shared<PowerCutStorage>(root_.str());
        storage->die_after(k);
        bool acknowledged = false;
        {
          // May fail to open: the power may go during start-up.
          auto log = WriteAheadLog::open(std::make_shared<ListStateInterpreter>(), storage,
                                         exact_options(3));
          acknowledged = log.is_ok() && (*log)->persist("c", message(kLate), kLate).is_ok();
        }
        finished = !storage->dead();
        storage->power_cut(mode, seed * 7919 + static_cast<uint32_t>(k));
        auto recovered = open_list(exact_options(3));
        ASSERT_NE(recovered, nullptr);
        check_recovered(*recovered, acknowledged,
                        "power cut after call " + std::to_string(k) + ", mode " +
                            std::to_string(static_cast<int>(mode)) + ", seed " +
                            std::to_string(seed));
        ++points;
      }
    }
    if (finished) break;
  }
  RecordProperty("power_cuts", points);
  EXPECT_GE(points, 50);
}

}  // namespace
}  // namespace wal::testing
