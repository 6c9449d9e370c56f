// Power cuts at every storage call: what was acknowledged survives, what was
// not is whole or absent, and recovery leaves a directory that works.
//
// Each test runs a workload through a PowerCutStorage that dies after call k,
// cuts the power (the disk keeps only what the model says it may), reopens
// with plain POSIX storage and checks. k runs from 0 until the workload
// finishes; every mode is tried, the random ones with several seeds.
#include <gtest/gtest.h>

#include <cstdio>

#include "power_cut_storage.h"
#include "segmented_test_util.h"

namespace wal::testing {
namespace {

constexpr PowerCut kModes[] = {PowerCut::kDropUnsynced, PowerCut::kTornTails, PowerCut::kAnySubset};
constexpr uint32_t kSeedsPerMode = 3;

const char* mode_name(PowerCut mode) {
  switch (mode) {
    case PowerCut::kDropUnsynced:
      return "drop-unsynced";
    case PowerCut::kTornTails:
      return "torn-tails";
    case PowerCut::kAnySubset:
      return "any-subset";
  }
  return "?";
}

class PowerCutTest : public ::testing::TestWithParam<Layout> {
 protected:
  fs::path data() const { return root_.path() / "data"; }

  // The seed layout checkpoints every 3 logs; the segmented one gets the
  // smallest segments and snapshot cadence, so a short workload rotates
  // segments and takes a snapshot.
  WriteAheadLogOptions layout_options() const {
    if (GetParam() == Layout::kSeed) return options_for(data());
    WriteAheadLogOptions options = segmented_options_for(data());
    options.segmented.segment_bytes = 4096;
    options.segmented.checkpoint_bytes = 4096;
    return options;
  }
  // Enough messages to reach a rotation and a snapshot (segmented), or a
  // third checkpoint (seed), written over the spare the first one became.
  int workload_size() const { return GetParam() == Layout::kSeed ? 9 : 45; }

  WriteAheadLogOptions quiet_options() const {
    WriteAheadLogOptions options = layout_options();
    options.on_warning = [](const Status&) {};
    return options;
  }

  std::unique_ptr<WriteAheadLog> open_on(std::shared_ptr<Storage> storage) {
    auto log =
        WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(), storage, quiet_options());
    return log.is_ok() ? std::move(log).value() : nullptr;
  }

  // Reopens after the cut; must succeed, and must give a working directory.
  std::unique_ptr<WriteAheadLog> recover(const std::string& what) {
    auto log = WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                                   std::make_shared<FileSystemStorage>(), quiet_options());
    EXPECT_TRUE(log.is_ok()) << what << ": " << log.status().to_string();
    return log.is_ok() ? std::move(log).value() : nullptr;
  }

  // Runs `workload` on a fresh copy of `initial` with death after k calls, for
  // every k and every mode; `check` sees the recovered log. Returns the number
  // of crash points.
  template <typename Setup, typename Workload, typename Check>
  int for_every_power_cut(Setup setup, Workload workload, Check check) {
    int points = 0;
    for (int k = 0;; ++k) {
      bool finished = false;
      for (PowerCut mode : kModes) {
        // The segmented workload has several times the calls: it tries the
        // random modes at every other call, with one seed each.
        const bool long_workload = GetParam() == Layout::kSegmented;
        if (long_workload && mode != PowerCut::kDropUnsynced && k % 2 == 1) continue;
        const uint32_t seeds = mode == PowerCut::kDropUnsynced || long_workload ? 1 : kSeedsPerMode;
        for (uint32_t seed = 0; seed < seeds; ++seed) {
          fs::remove_all(data());
          setup();
          auto storage = std::make_shared<PowerCutStorage>(root_.str());
          storage->die_after(k);
          auto log = open_on(storage);
          const int acknowledged = log ? workload(*log) : 0;
          finished = !storage->dead();
          log.reset();
          storage->power_cut(mode, seed * 7919 + static_cast<uint32_t>(k));
          const std::string what = std::string("power cut after call ") + std::to_string(k) + " (" +
                                   mode_name(mode) + ", seed " + std::to_string(seed) + ")";
          auto recovered = recover(what);
          if (!recovered) return points;
          check(*recovered, acknowledged, what);
          ++points;
        }
      }
      if (finished) break;
    }
    std::printf("power cuts tried: %d\n", points);
    return points;
  }

  TempDir root_;
};

TEST_P(PowerCutTest, AcknowledgedPersistsSurviveACutAtEveryCall) {
  const int last_id = workload_size();
  // Persists ids 1..last_id; returns the last one acknowledged.
  const auto workload = [last_id](WriteAheadLog& log) {
    int acknowledged = 0;
    for (int id = 1; id <= last_id; ++id) {
      if (!log.persist("c", sentence(id), id).is_ok()) break;
      acknowledged = id;
    }
    return acknowledged;
  };
  const int points = for_every_power_cut(
      [] {}, workload,
      [last_id](WriteAheadLog& log, int acknowledged, const std::string& what) {
        auto state = log.retrieve("c");
        ASSERT_TRUE(state.is_ok()) << what << ": " << state.status().to_string();
        const std::string content = (*state)["content"];
        // Whole messages in order, at least every acknowledged one.
        int present = -1;
        for (int last = acknowledged; last <= last_id; ++last) {
          if (content == (last == 0 ? "" : sentences(1, last))) present = last;
        }
        ASSERT_GE(present, acknowledged) << what << ": content \"" << content << "\"";
        // The dedup mark agrees with the state.
        if (present > 0) {
          EXPECT_EQ(*log.persist("c", sentence(present), present), PersistOutcome::kDuplicate)
              << what;
        }
        EXPECT_EQ(*log.persist("c", sentence(last_id + 1), last_id + 1), PersistOutcome::kWritten)
            << what;
      });
  EXPECT_GE(points, 50);
}

TEST_P(PowerCutTest, ClearIsAllOrNothingUnderACutAtEveryCall) {
  const auto setup = [this] { persist_sentences(*open_log(layout_options()), "c", 1, 4); };
  const auto workload = [](WriteAheadLog& log) { return log.clear("c").is_ok() ? 1 : 0; };
  const int points = for_every_power_cut(
      setup, workload, [](WriteAheadLog& log, int cleared, const std::string& what) {
        const std::string content = content_of(log, "c");
        if (cleared) {
          EXPECT_EQ(content, "") << what;
        } else {
          EXPECT_TRUE(content.empty() || content == sentences(1, 4)) << what << ": " << content;
        }
        const bool gone = content.empty();
        EXPECT_EQ(*log.persist("c", sentence(4), 4),
                  gone ? PersistOutcome::kWritten : PersistOutcome::kDuplicate)
            << what;
      });
  EXPECT_GE(points, 10);
}

// Start-up housekeeping cut at every call, then start-up again: recovery is
// idempotent and loses nothing the directory held. Seed layout: temporary
// and interrupted files, a trash folder. Segmented layout: a torn tail to cut
// (an end frame written and synced), a temporary file to remove, and the
// segments and snapshot of a log that rotated.
TEST_P(PowerCutTest, RecoveryCutAtEveryCallThenRecoveryAgain) {
  const bool seed = GetParam() == Layout::kSeed;
  const uint64_t last = seed ? 4 : static_cast<uint64_t>(workload_size()) - 1;
  const auto setup = [this, seed] {
    if (seed) {
      persist_sentences(*open_log(options_for(data())), "c", 1, 4);
      write_bytes(data() / "c" / "log_1_9.log.tmp", "COMPLETED\n{\"da");
      write_bytes(data() / "c" / "log_1_8.log", "PROCESSING\n{\"data\": {}}");
      fs::create_directories(data() / ".trash" / "1-old");
      write_bytes(data() / ".trash" / "1-old" / "log_1_1.log", "COMPLETED\n{}");
      return;
    }
    persist_sentences(*open_log(quiet_options()), "c", 1, static_cast<uint64_t>(workload_size()));
    const FrameOnDisk torn = persist_frames(data()).back();
    flip_byte(torn.path, torn.offset + torn.size - 2);
    write_bytes(data() / "segment-00000000000000000999.log.tmp", std::string(64, '\0'));
  };
  const int points = for_every_power_cut(
      setup, [](WriteAheadLog&) { return 0; },
      [last](WriteAheadLog& log, int, const std::string& what) {
        EXPECT_EQ(content_of(log, "c"), sentences(1, last)) << what;
        EXPECT_EQ(*log.persist("c", sentence(last), last), PersistOutcome::kDuplicate) << what;
        EXPECT_EQ(*log.persist("c", sentence(last + 1), last + 1), PersistOutcome::kWritten)
            << what;
      });
  EXPECT_GE(points, 5);
}

// A state that grows by 1,500 bytes a message makes every snapshot longer
// than a 4096-byte segment: superseded ones become segments, whose old
// snapshot frames lie after the new frames when the power goes.
TEST_P(PowerCutTest, AcknowledgedPersistsSurviveACutWhileSnapshotsAreRecycled) {
  if (GetParam() == Layout::kSeed) GTEST_SKIP() << "the seed layout has no segments";
  constexpr int kFirst = 5, kLast = 14;
  const auto content = [](int id) { return std::string(1500, static_cast<char>('a' + id % 26)); };
  const auto contents = [&](int last) {
    std::string joined;
    for (int id = 1; id <= last; ++id) joined += (id > 1 ? " " : "") + content(id);
    return joined;
  };
  const auto persist = [&](WriteAheadLog& log, int id) {
    return log.persist("c", Json{{"content", content(id)}}, static_cast<uint64_t>(id)).is_ok();
  };
  const auto setup = [&] {
    auto log = open_log(quiet_options());
    for (int id = 1; id < kFirst; ++id) ASSERT_TRUE(persist(*log, id));
  };
  const auto workload = [&](WriteAheadLog& log) {
    int acknowledged = kFirst - 1;
    for (int id = kFirst; id <= kLast && persist(log, id); ++id) acknowledged = id;
    return acknowledged;
  };
  // Uncut, the workload does recycle a snapshot into a segment (a zero-filled
  // one is 4096 bytes long).
  setup();
  workload(*open_log(quiet_options()));
  bool recycled = false;
  for (const std::string& name : names_with_prefix(data(), "segment-")) {
    recycled |= fs::file_size(data() / name) != 4096;
  }
  ASSERT_TRUE(recycled) << "no snapshot became a segment";
  const int points = for_every_power_cut(
      setup, workload, [&](WriteAheadLog& log, int acknowledged, const std::string& what) {
        const std::string recovered = content_of(log, "c");
        int present = -1;
        for (int last = acknowledged; last <= kLast; ++last) {
          if (recovered == contents(last)) present = last;
        }
        ASSERT_GE(present, acknowledged) << what << ": " << recovered.size() << " bytes";
        EXPECT_TRUE(persist(log, kLast + 1)) << what;
        EXPECT_EQ(content_of(log, "c"), contents(present) + " " + content(kLast + 1)) << what;
      });
  EXPECT_GE(points, 50);
}

INSTANTIATE_TEST_SUITE_P(Layouts, PowerCutTest,
                         ::testing::Values(Layout::kSeed, Layout::kSegmented),
                         [](const auto& info) { return std::string(layout_name(info.param)); });

}  // namespace
}  // namespace wal::testing
