// MergePatchStateInterpreter: RFC 7386 merge patches applied in id order.
#include "wal/merge_patch_state_interpreter.h"
#include "test_util.h"

namespace wal::testing {
namespace {

struct RfcExample {
  const char* target;
  const char* patch;
  const char* result;
};

// RFC 7386, Appendix A, every example in the order given there.
const RfcExample kRfc7386Examples[] = {
    {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
    {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
    {R"({"a":"b"})", R"({"a":null})", R"({})"},
    {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
    {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
    {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
    {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
    {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
    {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
    {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
    {R"({"a":"foo"})", R"(null)", R"(null)"},
    {R"({"a":"foo"})", R"("bar")", R"("bar")"},
    {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
    {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
    {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
};

Json json(const char* text) { return Json::parse(text); }

TEST(MergePatchStateInterpreterTest, ApplyMergePatchGivesEveryRfc7386AppendixResult) {
  for (const RfcExample& example : kRfc7386Examples) {
    EXPECT_EQ(apply_merge_patch(json(example.target), json(example.patch)), json(example.result))
        << example.target << " + " << example.patch;
  }
}

TEST(MergePatchStateInterpreterTest, MergeDataAppliesObjectPatchesOfTheAppendix) {
  MergePatchStateInterpreter interpreter;
  for (const RfcExample& example : kRfc7386Examples) {
    if (!json(example.target).is_object() || !json(example.patch).is_object()) continue;
    auto state = interpreter.merge_data(json(example.target), {{1, json(example.patch)}});
    ASSERT_TRUE(state.is_ok()) << state.status().to_string();
    EXPECT_EQ(*state, json(example.result)) << example.target << " + " << example.patch;
  }
}

class MergePatchThroughLogTest : public DataDirTest,
                                 public ::testing::WithParamInterface<uint32_t> {
 protected:
  std::unique_ptr<WriteAheadLog> open_merge_patch() {
    auto log = WriteAheadLog::open(std::make_shared<MergePatchStateInterpreter>(),
                                   std::make_shared<FileSystemStorage>(),
                                   options_for(base_dir(), GetParam()));
    EXPECT_TRUE(log.is_ok()) << log.status().to_string();
    return log.is_ok() ? std::move(log).value() : nullptr;
  }
};

// The appendix examples whose target is an object without nulls: the target
// is recorded first (a patch onto {} that yields it), then the patch.
TEST_P(MergePatchThroughLogTest, RecordedPatchesGiveTheRfc7386ResultsAcrossAReopen) {
  auto log = open_merge_patch();
  std::vector<std::pair<std::string, Json>> expected;
  int n = 0;
  for (const RfcExample& example : kRfc7386Examples) {
    const Json target = json(example.target);
    if (!target.is_object() || !json(example.patch).is_object()) continue;
    if (target.dump().find("null") != std::string::npos) continue;
    const std::string client = "rfc-" + std::to_string(++n);
    ASSERT_EQ(*log->persist(client, target, 1), PersistOutcome::kWritten);
    ASSERT_EQ(*log->persist(client, json(example.patch), 2), PersistOutcome::kWritten);
    EXPECT_EQ(*log->retrieve(client), json(example.result)) << client;
    expected.emplace_back(client, json(example.result));
  }
  ASSERT_GE(expected.size(), 8u);
  log.reset();
  log = open_merge_patch();
  for (const auto& [client, result] : expected) EXPECT_EQ(*log->retrieve(client), result) << client;
}

TEST_P(MergePatchThroughLogTest, PatchesApplyInIdOrder) {
  auto log = open_merge_patch();
  ASSERT_EQ(*log->persist("c", Json{{"name", "a"}, {"tags", {{"x", 1}}}}, 1),
            PersistOutcome::kWritten);
  ASSERT_EQ(*log->persist("c", Json{{"name", "b"}, {"tags", {{"y", 2}}}}, 2),
            PersistOutcome::kWritten);
  ASSERT_EQ(*log->persist("c", Json{{"tags", {{"x", nullptr}}}}, 3), PersistOutcome::kWritten);
  const Json expected = Json{{"name", "b"}, {"tags", {{"y", 2}}}};
  EXPECT_EQ(*log->retrieve("c"), expected);
  log.reset();
  log = open_merge_patch();
  EXPECT_EQ(*log->retrieve("c"), expected);
}

TEST_P(MergePatchThroughLogTest, UnknownClientIsAnEmptyObject) {
  auto log = open_merge_patch();
  EXPECT_EQ(*log->retrieve("nobody"), Json::object());
}

TEST_P(MergePatchThroughLogTest, NonObjectMessageIsRefusedAndRecordsNothing) {
  auto log = open_merge_patch();
  for (const Json& data : {Json("text"), Json::array({1}), Json(nullptr), Json(3)}) {
    auto outcome = log->persist("c", data, 1);
    ASSERT_FALSE(outcome.is_ok()) << data.dump();
    EXPECT_EQ(outcome.status().code(), Code::kInvalidArgument);
    EXPECT_NE(outcome.status().message().find("merge patch"), std::string::npos);
  }
  EXPECT_EQ(*log->persist("c", Json{{"a", 1}}, 1), PersistOutcome::kWritten);
}

INSTANTIATE_TEST_SUITE_P(Thresholds, MergePatchThroughLogTest, ::testing::Values(1u, 2u, 3u));

}  // namespace
}  // namespace wal::testing
