// DedupState: the two policies, the window, and a model of exactness.
#include "dedup/dedup_state.h"

#include "dedup/saved_json.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

namespace wal {
namespace {

using Verdict = DedupState::Verdict;

DedupOptions exact(uint64_t window = 100'000, size_t max_gaps = 10'000) {
  DedupOptions options;
  options.policy = DedupPolicy::kExact;
  options.window = window;
  options.max_gaps = max_gaps;
  return options;
}

// Persist as the engine does: classify, and record what is new.
Verdict offer(DedupState& state, uint64_t id) {
  const Verdict verdict = state.classify(id);
  if (verdict == Verdict::kNew) state.record(id);
  return verdict;
}

TEST(DedupState, HighWaterMarkSkipsEverythingAtOrBelowTheHighest) {
  DedupState state{DedupOptions{}};
  EXPECT_EQ(offer(state, 0), Verdict::kNew);
  EXPECT_EQ(offer(state, 6), Verdict::kNew);
  EXPECT_EQ(offer(state, 5), Verdict::kDuplicate) << "the seed's rule: requeued 5 is skipped";
  EXPECT_EQ(offer(state, 6), Verdict::kDuplicate);
  EXPECT_EQ(state.max_recorded(), 6u);
  EXPECT_EQ(offer(state, UINT64_MAX), Verdict::kNew);
  EXPECT_EQ(offer(state, UINT64_MAX), Verdict::kDuplicate);
}

// The requeue of issue 7: 5 fails, 6 is written, 5 comes back.
TEST(DedupState, ExactWritesARequeuedMessageBehindALaterOne) {
  DedupState state{exact()};
  for (uint64_t id = 1; id <= 4; ++id) EXPECT_EQ(offer(state, id), Verdict::kNew);
  EXPECT_EQ(offer(state, 6), Verdict::kNew);
  EXPECT_EQ(state.low_water_mark(), 4u);
  EXPECT_EQ(state.gap_count(), 1u);
  EXPECT_EQ(offer(state, 5), Verdict::kNew);
  EXPECT_EQ(state.low_water_mark(), 6u) << "the gap closed: 5 and 6 join the settled ids";
  EXPECT_EQ(state.gap_count(), 0u);
  EXPECT_EQ(offer(state, 5), Verdict::kDuplicate);
  EXPECT_EQ(offer(state, 6), Verdict::kDuplicate);
}

TEST(DedupState, ExactInOrderTrafficKeepsNoRuns) {
  DedupState state{exact()};
  for (uint64_t id = 1; id <= 100'000; ++id) ASSERT_EQ(offer(state, id), Verdict::kNew);
  EXPECT_EQ(state.gap_count(), 0u);
  EXPECT_EQ(state.low_water_mark(), 100'000u);
  EXPECT_EQ(state.recorded_from(), 1u);
  EXPECT_EQ(offer(state, 1), Verdict::kDuplicate) << "an old redelivery is still a duplicate";
}

TEST(DedupState, ExactIdsBelowTheFirstIdAreTooOld) {
  DedupState state{exact()};
  EXPECT_EQ(offer(state, 0), Verdict::kTooOld);
  DedupOptions from_zero = exact();
  from_zero.first_message_id = 0;
  DedupState zero_based{from_zero};
  EXPECT_EQ(offer(zero_based, 1), Verdict::kNew);
  EXPECT_EQ(zero_based.low_water_mark(), std::nullopt);
  EXPECT_EQ(offer(zero_based, 0), Verdict::kNew);
  EXPECT_EQ(zero_based.low_water_mark(), 1u);
}

TEST(DedupState, WindowOverflowGivesUpTheGapAsTooOld) {
  DedupState state{exact(/*window=*/10)};
  EXPECT_EQ(offer(state, 1), Verdict::kNew);
  // 2 never comes; 3..20 do. The mark may lag the highest id by 10 at most.
  for (uint64_t id = 3; id <= 20; ++id) ASSERT_EQ(offer(state, id), Verdict::kNew);
  EXPECT_EQ(state.low_water_mark(), 20u)
      << "when 12 came, 2 was given up and 3..12 joined the settled ids";
  EXPECT_EQ(state.recorded_from(), 3u);
  EXPECT_EQ(offer(state, 2), Verdict::kTooOld) << "given up, reported, never acknowledged";
  EXPECT_EQ(offer(state, 1), Verdict::kTooOld) << "before the given-up gap: no longer known";
  EXPECT_EQ(offer(state, 3), Verdict::kDuplicate);
  EXPECT_EQ(offer(state, 20), Verdict::kDuplicate);
}

TEST(DedupState, TooManyGapsGiveUpTheOldest) {
  DedupState state{exact(/*window=*/1000, /*max_gaps=*/2)};
  for (uint64_t id : {1, 3, 5, 7}) ASSERT_EQ(offer(state, id), Verdict::kNew);
  EXPECT_LE(state.gap_count(), 2u);
  EXPECT_EQ(offer(state, 2), Verdict::kTooOld);
  EXPECT_EQ(offer(state, 6), Verdict::kNew) << "a newer gap is still open";
}

TEST(DedupState, RecoveredStateAnswersAsBefore) {
  const DedupOptions options = exact();
  DedupState live{options};
  std::vector<uint64_t> recorded;
  for (uint64_t id : {1, 2, 3, 5, 6, 9, 4, 12}) {
    ASSERT_EQ(offer(live, id), Verdict::kNew);
    recorded.push_back(id);
  }
  const DedupState::Saved saved = live.save();
  ASSERT_TRUE(DedupState::is_valid(saved));
  DedupState recovered{options, saved};
  EXPECT_EQ(recovered.save(), saved);
  for (uint64_t id = 0; id <= 15; ++id) EXPECT_EQ(recovered.classify(id), live.classify(id)) << id;
}

TEST(DedupState, SavedStatesThatBreakTheInvariantsAreInvalid) {
  using Saved = DedupState::Saved;
  EXPECT_TRUE(DedupState::is_valid(Saved{4, 1, {{6, 7}, {9, 9}}}));
  EXPECT_TRUE(DedupState::is_valid(Saved{}));
  EXPECT_FALSE(DedupState::is_valid(Saved{4, 1, {{5, 7}}})) << "touches the mark";
  EXPECT_FALSE(DedupState::is_valid(Saved{4, 1, {{3, 7}}})) << "below the mark";
  EXPECT_FALSE(DedupState::is_valid(Saved{4, 1, {{6, 7}, {8, 9}}})) << "runs touch";
  EXPECT_FALSE(DedupState::is_valid(Saved{4, 1, {{9, 9}, {6, 7}}})) << "out of order";
  EXPECT_FALSE(DedupState::is_valid(Saved{4, 1, {{8, 7}}})) << "first after last";
  EXPECT_FALSE(DedupState::is_valid(Saved{4, 6, {}})) << "recorded ids begin above the mark";
}

TEST(DedupState, SavedStateRoundTripsThroughJson) {
  const DedupState::Saved saved{4, 2, {{6, 7}, {9, UINT64_MAX}}};
  auto parsed = dedup_from_json(dedup_to_json(saved), "checkpoint");
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(*parsed, saved);
  auto none = dedup_from_json(dedup_to_json(DedupState::Saved{}), "checkpoint");
  ASSERT_TRUE(none.is_ok());
  EXPECT_FALSE(none->low_water_mark);
}

TEST(DedupState, MalformedSavedJsonIsCorruption) {
  for (const char* text : {R"([])", R"({"recorded_from": 1, "runs": []})",
                           R"({"low_water_mark": -1, "recorded_from": 1, "runs": []})",
                           R"({"low_water_mark": 4, "recorded_from": 1, "runs": [[6]]})",
                           R"({"low_water_mark": 4, "recorded_from": 1, "runs": [[3, 7]]})"}) {
    auto parsed = dedup_from_json(Json::parse(text), "cp");
    ASSERT_FALSE(parsed.is_ok()) << text;
    EXPECT_EQ(parsed.status().code(), Code::kCorruption) << text;
  }
}

TEST(DedupState, AFreshExactStateHasRecordedNothing) {
  DedupState state{exact()};
  EXPECT_FALSE(state.max_recorded()) << "its mark sits below the first id";
  offer(state, 3);
  EXPECT_EQ(state.max_recorded(), 3u);
}

TEST(DedupState, ALateIdIsOneBelowTheHighestRecorded) {
  DedupState state{exact()};
  EXPECT_FALSE(state.arrives_late(1));
  offer(state, 1);
  offer(state, 3);
  EXPECT_TRUE(state.arrives_late(2));
  EXPECT_FALSE(state.arrives_late(4));
}

// Random permutations of redelivered traffic against a model (a std::set):
// with a window wider than the traffic, exact dedup is exact.
TEST(DedupState, RandomRedeliveriesMatchASetModel) {
  std::mt19937_64 random(42);
  for (int round = 0; round < 200; ++round) {
    DedupState state{exact()};
    std::set<uint64_t> model;
    std::vector<uint64_t> deliveries;
    for (uint64_t id = 1; id <= 300; ++id) {
      deliveries.push_back(id);
      if (random() % 4 == 0) deliveries.push_back(id);  // redelivered
    }
    // Local disorder, as a queue with prefetch gives: shuffle within windows.
    for (size_t start = 0; start < deliveries.size(); start += 16) {
      const size_t end = std::min(deliveries.size(), start + 16);
      std::shuffle(deliveries.begin() + start, deliveries.begin() + end, random);
    }
    for (uint64_t id : deliveries) {
      const Verdict expected = model.insert(id).second ? Verdict::kNew : Verdict::kDuplicate;
      ASSERT_EQ(offer(state, id), expected) << "round " << round << " id " << id;
    }
    EXPECT_EQ(state.low_water_mark(), 300u);
    EXPECT_EQ(state.gap_count(), 0u);
  }
}

// With a narrow window the state may give ids up, but it never calls an
// unrecorded id a duplicate and never lets a recorded id be written twice.
TEST(DedupState, NarrowWindowNeverLosesOrRepeats) {
  std::mt19937_64 random(7);
  for (int round = 0; round < 200; ++round) {
    DedupState state{exact(/*window=*/8, /*max_gaps=*/3)};
    std::set<uint64_t> recorded;
    for (int step = 0; step < 400; ++step) {
      const uint64_t id = 1 + random() % 200;
      const Verdict verdict = offer(state, id);
      if (verdict == Verdict::kDuplicate) {
        ASSERT_TRUE(recorded.count(id)) << "an unrecorded id called a duplicate: " << id;
      } else if (verdict == Verdict::kNew) {
        ASSERT_TRUE(recorded.insert(id).second) << "a recorded id written twice: " << id;
      } else {
        ASSERT_TRUE(state.low_water_mark() && id <= *state.low_water_mark());
      }
      if (!recorded.empty() && state.low_water_mark()) {
        ASSERT_LE(*recorded.rbegin() - *state.low_water_mark(), 8u);
      }
    }
  }
}

}  // namespace
}  // namespace wal
