// NaN and infinity: JSON text cannot hold them, so they are refused before
// anything is written, instead of being acknowledged and then unreadable.
#include <cmath>
#include <limits>

#include "json/finite_numbers.h"
#include "test_util.h"

namespace wal::testing {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

class FiniteNumbersTest : public DataDirTest {};

TEST_F(FiniteNumbersTest, NaNIsRefusedAndTheClientStaysUsable) {
  auto log = open();
  auto outcome = log->persist("c", Json{{"content", "x"}, {"v", std::nan("")}}, 1);
  ASSERT_EQ(outcome.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(outcome.status().message(),
            "message data holds NaN at /v, which JSON cannot represent");
  EXPECT_TRUE(names_with_prefix(client_dir("c"), "log_").empty());
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
  log.reset();
  log = open();
  EXPECT_TRUE(log->recovery_report().damaged_clients.empty());
  EXPECT_EQ(content_of(*log, "c"), "Sentence 1.");
}

TEST_F(FiniteNumbersTest, InfinityDeepInsideIsNamedByItsJsonPointer) {
  auto log = WriteAheadLog::open(*make_state_interpreter("list"),
                                 std::make_shared<FileSystemStorage>(), options_for(base_dir()));
  ASSERT_TRUE(log.is_ok());
  const Json data = {{"a/b", Json::array({1, Json{{"~", -kInfinity}}})}};
  auto outcome = (*log)->persist("c", data, 1);
  ASSERT_EQ(outcome.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(outcome.status().message(),
            "message data holds -Infinity at /a~1b/1/~0, which JSON cannot represent");
  auto top = (*log)->persist("c", Json(kInfinity), 1);
  EXPECT_EQ(top.status().message(),
            "message data holds Infinity at the top level, which JSON cannot represent");
}

// Nested deeper than a call stack could recurse: found all the same, and a
// clean document of that depth passes.
TEST(FiniteNumbersCheckTest, DeeplyNestedDataIsCheckedWithoutOverflowingTheStack) {
  constexpr int kDepth = 200000;
  Json nested = Json::array();
  Json* innermost = &nested;
  for (int i = 1; i < kDepth; ++i) innermost = &innermost->emplace_back(Json::array());
  innermost->push_back(1.5);
  EXPECT_TRUE(check_finite_numbers(nested, "message data").is_ok());
  innermost->push_back(kInfinity);
  const Status refused = check_finite_numbers(nested, "message data");
  EXPECT_EQ(refused.code(), Code::kInvalidArgument);
  std::string pointer;
  for (int i = 1; i < kDepth; ++i) pointer += "/0";
  pointer += "/1";
  EXPECT_EQ(refused.message(),
            "message data holds Infinity at " + pointer + ", which JSON cannot represent");
}

TEST(FiniteNumbersCheckTest, FirstNonFiniteNumberAfterCleanSiblingsIsNamed) {
  const Json data = {{"a", {{"b", 1.0}, {"c", Json::array({2.0, Json::object()})}}},
                     {"d", Json::array({Json::array(), 3.0, std::nan("")})},
                     {"e", kInfinity}};
  EXPECT_EQ(check_finite_numbers(data, "x").message(),
            "x holds NaN at /d/2, which JSON cannot represent");
}

TEST_F(FiniteNumbersTest, InMemoryPersistenceRefusesTheSameWay) {
  InMemoryPersistence memory(*make_state_interpreter("latest"));
  auto outcome = memory.persist("c", Json{{"v", std::nan("")}}, 1);
  EXPECT_EQ(outcome.status().message(),
            "message data holds NaN at /v, which JSON cannot represent");
}

// Averages its messages' numbers; an empty average is 0/0.
class AverageInterpreter final : public StateInterpreter {
 public:
  std::string name() const override { return "average"; }
  Json empty_state() const override { return Json{{"sum", 0.0}, {"count", 0}}; }
  Result<Json> merge_data(Json state, const std::vector<LogEntry>& entries) const override {
    for (const LogEntry& entry : entries) {
      if (entry.data.is_number()) {
        state["sum"] = state["sum"].get<double>() + entry.data.get<double>();
        state["count"] = state["count"].get<int>() + 1;
      }
    }
    state["mean"] = state["sum"].get<double>() / state["count"].get<int>();
    return state;
  }
};

TEST_F(FiniteNumbersTest, CheckpointHoldingNaNIsNotWrittenAndTheLogsStay) {
  std::vector<Status> warnings;
  WriteAheadLogOptions options = options_for(base_dir(), 2);
  options.on_warning = [&](const Status& warning) { warnings.push_back(warning); };
  auto log = WriteAheadLog::open(std::make_shared<AverageInterpreter>(),
                                 std::make_shared<FileSystemStorage>(), options);
  ASSERT_TRUE(log.is_ok());
  ASSERT_EQ(*(*log)->persist("c", Json("not a number"), 1), PersistOutcome::kWritten);
  ASSERT_EQ(*(*log)->persist("c", Json("nor this"), 2), PersistOutcome::kWritten);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].message().find("the checkpoint of interpreter \"average\" holds NaN at "
                                       "/state/mean"),
            std::string::npos)
      << warnings[0].to_string();
  EXPECT_TRUE(names_with_prefix(client_dir("c"), "checkpoint_").empty());
  EXPECT_EQ(names_with_prefix(client_dir("c"), "log_").size(), 2u);
  ASSERT_EQ(*(*log)->persist("c", Json(4), 3), PersistOutcome::kWritten);
  auto state = (*log)->retrieve("c");
  ASSERT_TRUE(state.is_ok()) << state.status().to_string();
  EXPECT_EQ((*state)["mean"], 4.0);
  EXPECT_EQ(names_with_prefix(client_dir("c"), "checkpoint_").size(), 1u);
}

TEST_F(FiniteNumbersTest, SegmentedLayoutRefusesNaNAndTheClientStaysUsable) {
  auto log = open_log(segmented_options_for(base_dir()));
  auto outcome = log->persist("c", Json{{"content", "x"}, {"v", std::nan("")}}, 1);
  ASSERT_EQ(outcome.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(outcome.status().message(),
            "message data holds NaN at /v, which JSON cannot represent");
  auto batch = log->persist_batch({{"c", sentence(1), 1}, {"c", Json(-kInfinity), 2}});
  ASSERT_EQ(batch.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(log->clients()->empty());  // the batch was checked before anything was written
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
  log.reset();
  log = open_log(segmented_options_for(base_dir()));
  EXPECT_TRUE(log->recovery_report().damaged_clients.empty());
  EXPECT_EQ(content_of(*log, "c"), "Sentence 1.");
}

TEST_F(FiniteNumbersTest, SegmentedSnapshotHoldingNaNFailsAndTheLogKeepsEverything) {
  std::vector<Status> warnings;
  WriteAheadLogOptions options = segmented_options_for(base_dir());
  options.segmented.checkpoint_bytes = 1;  // a snapshot after every persist
  options.on_warning = [&](const Status& warning) { warnings.push_back(warning); };
  auto open_average = [&] {
    auto opened = WriteAheadLog::open(std::make_shared<AverageInterpreter>(),
                                      std::make_shared<FileSystemStorage>(), options);
    EXPECT_TRUE(opened.is_ok()) << opened.status().to_string();
    return std::move(opened).value();
  };
  auto log = open_average();
  ASSERT_EQ(*log->persist("c", Json("not a number"), 1), PersistOutcome::kWritten);
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings.back().message().find("holds NaN at /state/mean"), std::string::npos)
      << warnings.back().to_string();
  ASSERT_EQ(*log->persist("c", Json(4), 2), PersistOutcome::kWritten);
  log.reset();
  log = open_average();
  auto state = log->retrieve("c");
  ASSERT_TRUE(state.is_ok()) << state.status().to_string();
  EXPECT_EQ((*state)["count"], 1);
  EXPECT_EQ((*state)["mean"], 4.0);
}

}  // namespace
}  // namespace wal::testing
