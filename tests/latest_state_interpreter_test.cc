// LatestStateInterpreter: the message with the highest id.
#include "wal/latest_state_interpreter.h"
#include "test_util.h"

namespace wal::testing {
namespace {

class LatestThroughLogTest : public DataDirTest, public ::testing::WithParamInterface<uint32_t> {
 protected:
  std::unique_ptr<WriteAheadLog> open_latest() {
    auto log = WriteAheadLog::open(std::make_shared<LatestStateInterpreter>(),
                                   std::make_shared<FileSystemStorage>(),
                                   options_for(base_dir(), GetParam()));
    EXPECT_TRUE(log.is_ok()) << log.status().to_string();
    return log.is_ok() ? std::move(log).value() : nullptr;
  }
};

Json latest(uint64_t id, const Json& data) { return Json{{"message_id", id}, {"data", data}}; }

TEST_P(LatestThroughLogTest, UnknownClientHasNoLatestMessage) {
  auto log = open_latest();
  EXPECT_EQ(*log->retrieve("nobody"), Json::parse(R"({"message_id": null, "data": null})"));
}

TEST_P(LatestThroughLogTest, StateIsTheHighestIdsMessageAcrossAReopen) {
  auto log = open_latest();
  const std::vector<Json> data = {Json{{"v", 1}}, Json("two"), Json::array({3}), Json(nullptr),
                                  Json{{"v", 5}, {"deep", {{"x", 0.1}}}}};
  for (size_t i = 0; i < data.size(); ++i) {
    ASSERT_EQ(*log->persist("c", data[i], 2 * i + 1), PersistOutcome::kWritten);
    EXPECT_EQ(*log->retrieve("c"), latest(2 * i + 1, data[i]));
  }
  log.reset();
  log = open_latest();
  EXPECT_EQ(*log->retrieve("c"), latest(9, data.back()));
  ASSERT_EQ(*log->persist("c", Json("older"), 4), PersistOutcome::kDuplicate);
  EXPECT_EQ(*log->retrieve("c"), latest(9, data.back()));
  ASSERT_EQ(*log->persist("c", Json("newest"), 10), PersistOutcome::kWritten);
  EXPECT_EQ(*log->retrieve("c"), latest(10, "newest"));
}

INSTANTIATE_TEST_SUITE_P(Thresholds, LatestThroughLogTest, ::testing::Values(1u, 2u, 3u));

TEST(LatestStateInterpreterTest, MergeOfNothingKeepsTheState) {
  LatestStateInterpreter interpreter;
  EXPECT_EQ(*interpreter.merge_data(latest(3, "x"), {}), latest(3, "x"));
}

TEST(LatestStateInterpreterTest, CheckpointOfAnotherShapeIsRefused) {
  LatestStateInterpreter interpreter;
  EXPECT_FALSE(interpreter.parse_checkpoint(Json::parse(R"({"state": {"data": 1}})")).is_ok());
  EXPECT_FALSE(
      interpreter.parse_checkpoint(Json::parse(R"({"state": {"message_id": -1, "data": 1}})"))
          .is_ok());
}

}  // namespace
}  // namespace wal::testing
