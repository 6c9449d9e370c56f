// Every built-in interpreter: made by name, and its state unchanged by
// checkpoints, by the threshold and by a reopen.
#include "test_util.h"
#include "wal/consumer_state_interpreter.h"
#include "wal/state_interpreter_factory.h"

namespace wal::testing {
namespace {

// Messages every built-in interpreter accepts, with values that are easy to
// get wrong in a checkpoint: floats, big and negative integers, non-ASCII
// and control characters, nulls, empty containers, nesting.
std::vector<Json> tricky_messages() {
  return {
      Json::parse(R"({"content": "Sentence 1.", "price": 0.1, "n": 18446744073709551615})"),
      Json::parse(R"({"content": "h\u00e9llo \u2713 \ud834\udd1e", "neg": -5, "big": 1e300})"),
      Json::parse(R"({"nested": {"a": [1, 2.5, {"b": null}], "e": {}}, "ctl": "\u0001\n"})"),
      Json::parse(R"({"nested": {"a": null, "f": []}, "price": null, "z": true})"),
      Json::parse(R"({"content": "", "order": {"z": 1, "a": 2, "m": 3}})"),
      Json::parse(R"({"content": "last", "f": -0.0, "g": 123456789.125})"),
  };
}

// The state that folding `messages` (ids 1..n) in one merge gives.
Json fold(const StateInterpreter& interpreter, const std::vector<Json>& messages) {
  std::vector<LogEntry> entries;
  for (size_t i = 0; i < messages.size(); ++i) entries.push_back({i + 1, messages[i]});
  auto state = interpreter.merge_data(interpreter.empty_state(), entries);
  EXPECT_TRUE(state.is_ok()) << state.status().to_string();
  return state.is_ok() ? *state : Json();
}

using Param = std::tuple<std::string, uint32_t>;

class StateInterpretersTest : public DataDirTest, public ::testing::WithParamInterface<Param> {
 protected:
  std::shared_ptr<StateInterpreter> interpreter() const {
    auto made = make_state_interpreter(std::get<0>(GetParam()));
    EXPECT_TRUE(made.is_ok()) << made.status().to_string();
    return *made;
  }
  std::unique_ptr<WriteAheadLog> open_with_interpreter() const {
    auto log = WriteAheadLog::open(interpreter(), std::make_shared<FileSystemStorage>(),
                                   options_for(base_dir(), std::get<1>(GetParam())));
    EXPECT_TRUE(log.is_ok()) << log.status().to_string();
    return log.is_ok() ? std::move(log).value() : nullptr;
  }
};

TEST_P(StateInterpretersTest, NameIsTheFactoryName) {
  EXPECT_EQ(interpreter()->name(), std::get<0>(GetParam()));
}

TEST_P(StateInterpretersTest, RetrievedStateIsAnObject) {
  auto log = open_with_interpreter();
  EXPECT_TRUE(log->retrieve("nobody")->is_object());
  ASSERT_TRUE(log->persist("c", tricky_messages()[0], 1).is_ok());
  EXPECT_TRUE(log->retrieve("c")->is_object());
}

TEST_P(StateInterpretersTest, CheckpointTextRoundTripsEveryStateExactly) {
  auto made = interpreter();
  const std::vector<Json> messages = tricky_messages();
  for (size_t n = 0; n <= messages.size(); ++n) {
    const Json state = fold(*made, std::vector<Json>(messages.begin(), messages.begin() + n));
    auto body = made->format_checkpoint(state);
    ASSERT_TRUE(body.is_ok()) << body.status().to_string();
    const std::string text = dump_python_style(*body);
    auto parsed = parse_json(text, "checkpoint");
    ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
    auto back = made->parse_checkpoint(*parsed);
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    EXPECT_EQ(dump_python_style(*back), dump_python_style(state)) << "after " << n << " messages";
    EXPECT_EQ(*back, state);

    // The forms the seed layout uses, which may move: the same text, and the
    // same state back from that text.
    auto consumed_body = made->format_checkpoint_consuming(Json(state));
    ASSERT_TRUE(consumed_body.is_ok()) << consumed_body.status().to_string();
    EXPECT_EQ(dump_python_style(*consumed_body), text) << "after " << n << " messages";
    auto consumed_back = made->parse_checkpoint_consuming(*parse_json(text, "checkpoint"));
    ASSERT_TRUE(consumed_back.is_ok()) << consumed_back.status().to_string();
    EXPECT_EQ(*consumed_back, state) << "after " << n << " messages";
  }
}

TEST_P(StateInterpretersTest, StateThroughTheLogEqualsOneFoldBeforeAndAfterReopen) {
  auto made = interpreter();
  const std::vector<Json> messages = tricky_messages();
  auto log = open_with_interpreter();
  for (size_t i = 0; i < messages.size(); ++i) {
    ASSERT_EQ(*log->persist("c", messages[i], i + 1), PersistOutcome::kWritten);
    const Json expected =
        fold(*made, std::vector<Json>(messages.begin(), messages.begin() + i + 1));
    EXPECT_EQ(dump_python_style(*log->retrieve("c")), dump_python_style(expected))
        << "id " << i + 1;
  }
  const Json expected = fold(*made, messages);
  log.reset();
  log = open_with_interpreter();
  auto state = log->retrieve("c");
  ASSERT_TRUE(state.is_ok()) << state.status().to_string();
  EXPECT_EQ(dump_python_style(*state), dump_python_style(expected));
}

TEST_P(StateInterpretersTest, ClearForgetsTheClient) {
  auto log = open_with_interpreter();
  ASSERT_TRUE(log->persist("c", tricky_messages()[0], 1).is_ok());
  ASSERT_TRUE(log->clear("c").is_ok());
  EXPECT_EQ(*log->retrieve("c"), interpreter()->empty_state());
}

INSTANTIATE_TEST_SUITE_P(All, StateInterpretersTest,
                         ::testing::Combine(::testing::Values("consumer", "merge-patch", "list",
                                                              "latest"),
                                            ::testing::Values(1u, 2u, 3u)),
                         [](const auto& info) {
                           std::string name = std::get<0>(info.param);
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name + "_threshold" + std::to_string(std::get<1>(info.param));
                         });

// The promise wraps_data_as_is makes, which lets the segmented layout store
// a message's data without building its record.
TEST(BuiltInInterpreterTest, WrapsDataAsIsAndReadsItBack) {
  for (std::string_view name : state_interpreter_names()) {
    auto interpreter = *make_state_interpreter(name);
    EXPECT_TRUE(interpreter->wraps_data_as_is()) << name;
    for (const Json& data : tricky_messages()) {
      ASSERT_TRUE(interpreter->check_data(data).is_ok()) << name << " " << data.dump();
      auto record = interpreter->format_data(data);
      ASSERT_TRUE(record.is_ok()) << name << " " << record.status().to_string();
      Json expected = Json::object();
      expected["data"] = data;
      expected["_metadata"] = Json::object();
      EXPECT_EQ(dump_python_style(*record), dump_python_style(expected)) << name;
      EXPECT_EQ(*interpreter->parse_data(*record), data) << name;
    }
  }
}

// What an interpreter refuses, check_data and format_data refuse alike, and
// both layouts refuse it without recording anything: the segmented layout
// asks check_data alone.
TEST(BuiltInInterpreterTest, RefusedDataIsRefusedByEveryLayoutAndRecordsNothing) {
  const std::vector<std::pair<std::string, Json>> refused = {
      {"consumer", Json{{"_metadata", Json::object()}, {"content", "x"}}},
      {"consumer", Json{{"content", 3}}},
      {"consumer", Json(7)},
      {"consumer", Json::array({"x"})},
      {"merge-patch", Json("text")},
      {"merge-patch", Json(nullptr)},
  };
  for (const auto& [name, data] : refused) {
    auto interpreter = *make_state_interpreter(name);
    const Status checked = interpreter->check_data(data);
    EXPECT_EQ(checked.code(), Code::kInvalidArgument) << name << " " << data.dump();
    EXPECT_EQ(interpreter->format_data(data).status().to_string(), checked.to_string());
    for (const Layout layout : {Layout::kSeed, Layout::kSegmented}) {
      TempDir dir;
      WriteAheadLogOptions options = layout == Layout::kSeed
                                         ? options_for(dir.path() / "data")
                                         : segmented_options_for(dir.path() / "data");
      auto log = open_log(options, nullptr, interpreter);
      ASSERT_NE(log, nullptr);
      auto outcome = log->persist("c", data, 1);
      EXPECT_EQ(outcome.status().to_string(), checked.to_string()) << data.dump();
      EXPECT_EQ(*log->retrieve("c"), interpreter->empty_state());
      EXPECT_EQ(*log->persist("c", Json{{"content", "ok"}}, 1), PersistOutcome::kWritten);
    }
  }
}

// The merged content is stripped of surrounding whitespace once, after the
// pieces are joined by single spaces, as the original's merge does.
TEST(ConsumerStateInterpreterTest, MergedContentIsJoinedThenStripped) {
  ConsumerStateInterpreter consumer;
  const std::vector<LogEntry> entries{
      {1, Json{{"content", " a "}}}, {2, Json{{"content", "b\t"}}}, {3, Json("\n c ")}};
  auto merged = consumer.merge_data(consumer.empty_state(), entries);
  ASSERT_TRUE(merged.is_ok()) << merged.status().to_string();
  EXPECT_EQ((*merged)["content"], "a b\t \n c");
  auto blank = consumer.merge_data(consumer.empty_state(), {{1, Json(" \t\r\n")}});
  ASSERT_TRUE(blank.is_ok());
  EXPECT_EQ((*blank)["content"], "");
  auto kept = consumer.merge_data(Json{{"content", "x"}}, {{1, Json("y")}});
  ASSERT_TRUE(kept.is_ok());
  EXPECT_EQ((*kept)["content"], "x y");
}

// Whitespace is what Python's str.isspace() says: the file separators
// 0x1C-0x1F and the Unicode spaces too, but not a zero-width space (U+200B),
// U+180E, U+FEFF, or a lone byte of a space's UTF-8.
TEST(ConsumerStateInterpreterTest, StripRemovesWhatPythonStripRemoves) {
  ConsumerStateInterpreter consumer;
  const auto merged = [&](const std::string& piece) {
    auto state = consumer.merge_data(consumer.empty_state(), {{1, Json(piece)}});
    EXPECT_TRUE(state.is_ok());
    return state.is_ok() ? (*state)["content"].get<std::string>() : "";
  };
  // All whitespace to Python: 0x1C-0x1F, U+0085, U+00A0, U+1680, U+2000,
  // U+200A, U+2028, U+2029, U+202F, U+205F and U+3000.
  const std::string spaces =
      "\x1c\x1d\x1e\x1f\u0085\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000";
  EXPECT_EQ(merged(spaces + "a" + spaces + "b" + spaces), "a" + spaces + "b");
  EXPECT_EQ(merged(spaces), "");
  EXPECT_EQ(merged("\u200ba\u200b"), "\u200ba\u200b");  // zero-width: not whitespace
  EXPECT_EQ(merged("\u00e9"), "\u00e9");                // C3 A9: no space
  EXPECT_EQ(merged("\u2010x\u2030"), "\u2010x\u2030");  // E2 80 90 and E2 80 B0
  EXPECT_EQ(merged("\u180ex\ufeff"), "\u180ex\ufeff");  // not whitespace since Unicode 6.3
  EXPECT_EQ(merged("\v\fx\u0086"), "x\u0086");          // C2 86 is no space
  EXPECT_EQ(merged("a\xa0"), "a\xa0");                  // a lone byte of U+00A0
  EXPECT_EQ(merged("\x85"
                   "a"),
            "\x85"
            "a");  // a lone byte of U+0085
}

TEST(StateInterpreterTest, AnInterpreterOfTheCallersDoesNotClaimToWrapDataAsIs) {
  class Minimal final : public StateInterpreter {
   public:
    std::string name() const override { return "minimal"; }
    Json empty_state() const override { return Json::object(); }
    Result<Json> merge_data(Json state, const std::vector<LogEntry>&) const override {
      return state;
    }
  };
  EXPECT_FALSE(Minimal().wraps_data_as_is());
}

// An interpreter written before the consuming forms existed keeps working:
// they default to the copying forms it overrides.
TEST(StateInterpreterTest, ConsumingFormsDefaultToTheCopyingOnes) {
  class Tagged final : public StateInterpreter {
   public:
    std::string name() const override { return "tagged"; }
    Json empty_state() const override { return Json::object(); }
    Result<Json> merge_data(Json state, const std::vector<LogEntry>&) const override {
      return state;
    }
    Result<Json> format_checkpoint(const Json& state) const override {
      return Json{{"tagged", state}};
    }
    Result<Json> parse_checkpoint(const Json& body) const override { return body.at("tagged"); }
  };
  const Json state = Json{{"k", "v"}};
  EXPECT_EQ(*Tagged().format_checkpoint_consuming(state), Json({{"tagged", state}}));
  EXPECT_EQ(*Tagged().parse_checkpoint_consuming(Json{{"tagged", state}}), state);
}

TEST(MakeStateInterpreterTest, MakesEveryListedName) {
  ASSERT_EQ(state_interpreter_names().size(), 4u);
  for (std::string_view name : state_interpreter_names()) {
    auto made = make_state_interpreter(name);
    ASSERT_TRUE(made.is_ok()) << made.status().to_string();
    EXPECT_EQ((*made)->name(), name);
  }
}

TEST(MakeStateInterpreterTest, UnknownNameErrorListsTheNames) {
  auto made = make_state_interpreter("lastest");
  ASSERT_FALSE(made.is_ok());
  EXPECT_EQ(made.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(made.status().message(),
            "unknown state interpreter \"lastest\"; the interpreters are: consumer, merge-patch, "
            "list, latest");
}

}  // namespace
}  // namespace wal::testing
