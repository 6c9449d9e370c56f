// ListStateInterpreter: every message's data, in id order.
#include "wal/list_state_interpreter.h"
#include "test_util.h"

namespace wal::testing {
namespace {

class ListThroughLogTest : public DataDirTest, public ::testing::WithParamInterface<uint32_t> {
 protected:
  std::unique_ptr<WriteAheadLog> open_list() {
    auto log = WriteAheadLog::open(std::make_shared<ListStateInterpreter>(),
                                   std::make_shared<FileSystemStorage>(),
                                   options_for(base_dir(), GetParam()));
    EXPECT_TRUE(log.is_ok()) << log.status().to_string();
    return log.is_ok() ? std::move(log).value() : nullptr;
  }
};

TEST_P(ListThroughLogTest, UnknownClientHasNoMessages) {
  auto log = open_list();
  EXPECT_EQ(*log->retrieve("nobody"), Json::parse(R"({"messages": []})"));
}

TEST_P(ListThroughLogTest, EveryMessageIsKeptInIdOrderAcrossAReopen) {
  auto log = open_list();
  const std::vector<Json> data = {
      Json{{"n", 1}}, Json("two"), Json::array({3, 3}),
      Json(nullptr),  Json(5.5),   Json{{"n", 6}, {"nested", {{"x", Json::array()}}}}};
  Json expected = Json::parse(R"({"messages": []})");
  for (size_t i = 0; i < data.size(); ++i) {
    ASSERT_EQ(*log->persist("c", data[i], 10 + i), PersistOutcome::kWritten);
    expected["messages"].push_back(data[i]);
    EXPECT_EQ(*log->retrieve("c"), expected) << "after id " << 10 + i;
  }
  log.reset();
  log = open_list();
  EXPECT_EQ(*log->retrieve("c"), expected);
  ASSERT_EQ(*log->persist("c", Json("after reopen"), 100), PersistOutcome::kWritten);
  expected["messages"].push_back("after reopen");
  EXPECT_EQ(*log->retrieve("c"), expected);
}

TEST_P(ListThroughLogTest, DuplicatesAreNotListedTwice) {
  auto log = open_list();
  ASSERT_EQ(*log->persist("c", Json("a"), 1), PersistOutcome::kWritten);
  ASSERT_EQ(*log->persist("c", Json("a again"), 1), PersistOutcome::kDuplicate);
  ASSERT_EQ(*log->persist("c", Json("b"), 2), PersistOutcome::kWritten);
  EXPECT_EQ(*log->retrieve("c"), Json::parse(R"({"messages": ["a", "b"]})"));
}

INSTANTIATE_TEST_SUITE_P(Thresholds, ListThroughLogTest, ::testing::Values(1u, 2u, 3u));

TEST(ListStateInterpreterTest, CheckpointOfAnotherShapeIsRefused) {
  ListStateInterpreter interpreter;
  EXPECT_FALSE(interpreter.parse_checkpoint(Json::parse(R"({"state": {"messages": 1}})")).is_ok());
  EXPECT_FALSE(interpreter.parse_checkpoint(Json::parse(R"({"content": ""})")).is_ok());
}

}  // namespace
}  // namespace wal::testing
