// Golden strings below were produced by CPython 3.11.7's json.dumps() with
// default arguments when this test was written; the test needs no Python.

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "json/python_style.h"
#include "wal/json.h"

namespace wal {
namespace {

Json parse_or_die(std::string_view text) {
  auto parsed = parse_json(text, "test input");
  EXPECT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  return parsed.is_ok() ? std::move(parsed).value() : Json();
}

// Parses `text` and dumps it again.
std::string round_trip(std::string_view text) { return dump_python_style(parse_or_die(text)); }

std::string dump_double(double value) { return dump_python_style(Json(value)); }

TEST(PythonJsonTest, NestedObjectsKeepInsertionOrder) {
  // json.dumps({"z": 1, "a": {"y": [1, 2, {"b": None, "a": True}], "x": False}, "m": []})
  Json value = Json::object();
  value["z"] = 1;
  value["a"]["y"] = Json::array({1, 2, Json::object()});
  value["a"]["y"][2]["b"] = nullptr;
  value["a"]["y"][2]["a"] = true;
  value["a"]["x"] = false;
  value["m"] = Json::array();
  EXPECT_EQ(R"({"z": 1, "a": {"y": [1, 2, {"b": null, "a": true}], "x": false}, "m": []})",
            dump_python_style(value));
}

TEST(PythonJsonTest, EmptyContainers) {
  EXPECT_EQ("{}", dump_python_style(Json::object()));
  EXPECT_EQ("[]", dump_python_style(Json::array()));
  // json.dumps({"e": {}, "l": [], "n": [[], {}]})
  EXPECT_EQ(R"({"e": {}, "l": [], "n": [[], {}]})", round_trip(R"({"e":{},"l":[],"n":[[],{}]})"));
}

TEST(PythonJsonTest, Scalars) {
  EXPECT_EQ("null", dump_python_style(Json()));
  EXPECT_EQ("true", dump_python_style(Json(true)));
  EXPECT_EQ("false", dump_python_style(Json(false)));
  EXPECT_EQ(R"("")", dump_python_style(Json("")));
}

TEST(PythonJsonTest, ShortEscapes) {
  // json.dumps("quote\" backslash\\ slash/ nl\n cr\r tab\t bs\b ff\f")
  EXPECT_EQ(R"("quote\" backslash\\ slash/ nl\n cr\r tab\t bs\b ff\f")",
            dump_python_style(Json("quote\" backslash\\ slash/ nl\n cr\r tab\t bs\b ff\f")));
}

TEST(PythonJsonTest, ControlCharacters) {
  std::string all_controls;
  for (int c = 0; c < 0x20; ++c) all_controls += static_cast<char>(c);
  // json.dumps("".join(chr(i) for i in range(0x20)))
  EXPECT_EQ(R"("\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f)"
            R"(\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c)"
            R"(\u001d\u001e\u001f")",
            dump_python_style(Json(all_controls)));
}

TEST(PythonJsonTest, NonAsciiAndDel) {
  // json.dumps("caf\u00e9 \u4e2d \U0001F600 del\x7f tilde~ space ")
  EXPECT_EQ(
      R"("caf\u00e9 \u4e2d \ud83d\ude00 del\u007f tilde~ space ")",
      dump_python_style(Json("caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80 del\x7F tilde~ space ")));
  // json.dumps("\u0080\u07ff\u0800\uffff\U00010000\U0010ffff"): every UTF-8 length boundary.
  EXPECT_EQ(R"("\u0080\u07ff\u0800\uffff\ud800\udc00\udbff\udfff")",
            dump_python_style(Json("\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF\xF0\x90\x80\x80"
                                   "\xF4\x8F\xBF\xBF")));
}

// Plain text is scanned sixteen bytes at a time (on x86-64), then eight,
// then one: a character that needs escaping is found wherever it falls in
// each, and the bytes around it (0x20, 0x7E, 0x7F, 0x80) are told apart
// exactly.
TEST(PythonJsonTest, EscapedCharacterIsFoundAtEveryPositionOfEachScan) {
  const std::vector<std::pair<std::string, std::string>> cases = {{std::string(1, '\0'), "\\u0000"},
                                                                  {"\x1F", "\\u001f"},
                                                                  {"\"", "\\\""},
                                                                  {"\\", "\\\\"},
                                                                  {"\x7F", "\\u007f"},
                                                                  {"\xC2\x80", "\\u0080"},
                                                                  {"\xC3\xA9", "\\u00e9"},
                                                                  {" ", " "},
                                                                  {"~", "~"},
                                                                  {"!", "!"},
                                                                  {"#", "#"},
                                                                  {"[", "["},
                                                                  {"]", "]"}};
  for (const auto& [raw, escaped] : cases) {
    for (size_t before = 0; before <= 40; ++before) {
      const std::string text = std::string(before, 'a') + raw + std::string(40 - before, 'b');
      EXPECT_EQ(dump_python_style(Json(text)),
                "\"" + std::string(before, 'a') + escaped + std::string(40 - before, 'b') + "\"")
          << "byte " << static_cast<int>(static_cast<unsigned char>(raw[0])) << " after " << before;
    }
  }
}

TEST(PythonJsonTest, TextWrittenInPiecesIsTheDumpedTextAndNoPieceIsLarger) {
  Json value = parse_or_die(R"({"a": [1, 2.5, null, {"b": "\u00e9"}], "c": ""})");
  value["c"] = std::string(1000, 'x') + "\"" + std::string(1000, 'y');
  const std::string whole = dump_python_style(value);
  for (size_t piece_bytes : {1, 2, 5, 255, 256, 257, 1000, 100000}) {
    std::string joined;
    size_t pieces = 0;
    write_python_style(value, piece_bytes, [&](std::string_view piece) {
      EXPECT_LE(piece.size(), piece_bytes);
      EXPECT_FALSE(piece.empty());
      joined.append(piece);
      ++pieces;
    });
    EXPECT_EQ(joined, whole) << "pieces of " << piece_bytes;
    EXPECT_EQ(pieces, (whole.size() + piece_bytes - 1) / piece_bytes)
        << "pieces of " << piece_bytes;
  }
}

TEST(PythonJsonTest, ObjectKeysAreEscaped) {
  Json value = Json::object();
  value["k\xC3\xA9y\n"] = "v";
  EXPECT_EQ(R"({"k\u00e9y\n": "v"})", dump_python_style(value));
}

TEST(PythonJsonTest, InvalidUtf8BecomesReplacementCharacterPerByte) {
  // Not reachable from parsed text; our own rule, see python_json.cc.
  EXPECT_EQ(R"("a\ufffdb")", dump_python_style(Json("a\xFF"
                                                    "b")));
  EXPECT_EQ(R"("\ufffd\ufffdx")", dump_python_style(Json("\xE4\xB8x")));          // truncated
  EXPECT_EQ(R"("\ufffd\ufffd")", dump_python_style(Json("\xC0\xAF")));            // overlong
  EXPECT_EQ(R"("\ufffd\ufffd\ufffd")", dump_python_style(Json("\xED\xA0\x80")));  // surrogate
  EXPECT_EQ(R"("\ufffd\ufffd\ufffd\ufffd")",
            dump_python_style(Json("\xF4\x90\x80\x80")));                         // above U+10FFFF
  EXPECT_EQ(R"("\ufffd\ufffd\ufffd")", dump_python_style(Json("\xF0\x9F\x98")));  // cut short
}

TEST(PythonJsonTest, Integers) {
  // json.dumps([-9223372036854775808, 9223372036854775807, 18446744073709551615, 0, -1])
  Json value =
      Json::array({std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                   std::numeric_limits<uint64_t>::max(), 0, -1});
  EXPECT_EQ("[-9223372036854775808, 9223372036854775807, 18446744073709551615, 0, -1]",
            dump_python_style(value));
  EXPECT_EQ("[-9223372036854775808, 9223372036854775807, 18446744073709551615, 0, -1]",
            round_trip("[-9223372036854775808,9223372036854775807,18446744073709551615,0,-1]"));
}

TEST(PythonJsonTest, Floats) {
  // repr() / json.dumps() of each value.
  EXPECT_EQ("0.1", dump_double(0.1));
  EXPECT_EQ("1.0", dump_double(1.0));
  EXPECT_EQ("100.0", dump_double(100.0));
  EXPECT_EQ("1e+16", dump_double(1e16));
  EXPECT_EQ("1000000000000000.0", dump_double(1e15));
  EXPECT_EQ("9999999999999998.0", dump_double(9999999999999998.0));
  EXPECT_EQ("1.5e-05", dump_double(1.5e-05));
  EXPECT_EQ("1e-05", dump_double(1e-05));
  EXPECT_EQ("0.0001", dump_double(0.0001));
  EXPECT_EQ("0.001", dump_double(0.001));
  EXPECT_EQ("123456789.123", dump_double(123456789.123));
  EXPECT_EQ("1e+300", dump_double(1e300));
  EXPECT_EQ("5e-324", dump_double(5e-324));
  EXPECT_EQ("2.5", dump_double(2.5));
  EXPECT_EQ("0.0", dump_double(0.0));
  EXPECT_EQ("-0.0", dump_double(-0.0));
  EXPECT_EQ("1.7976931348623157e+308", dump_double(1.7976931348623157e308));
  EXPECT_EQ("2.2250738585072014e-308", dump_double(2.2250738585072014e-308));
  EXPECT_EQ("1e+22", dump_double(1e22));
  EXPECT_EQ("1.2345678901234568e+17", dump_double(123456789012345678.0));
  EXPECT_EQ("0.30000000000000004", dump_double(0.1 + 0.2));
  EXPECT_EQ("-1.25e-07", dump_double(-1.25e-7));
  EXPECT_EQ("0.3333333333333333", dump_double(1.0 / 3.0));
}

TEST(PythonJsonTest, NonFiniteFloats) {
  EXPECT_EQ("NaN", dump_double(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_EQ("Infinity", dump_double(std::numeric_limits<double>::infinity()));
  EXPECT_EQ("-Infinity", dump_double(-std::numeric_limits<double>::infinity()));
}

TEST(PythonJsonTest, ParsedNumbers) {
  // json.dumps(json.loads('{"k":[1,2.50,-0,-0.0,1E2,1e-7,"\\u00e9\\ud83d\\ude00"]}'))
  EXPECT_EQ(R"({"k": [1, 2.5, 0, -0.0, 100.0, 1e-07, "\u00e9\ud83d\ude00"]})",
            round_trip(R"({"k":[1,2.50,-0,-0.0,1E2,1e-7,"\u00e9\ud83d\ude00"]})"));
}

TEST(PythonJsonTest, TypicalRecordRoundTrips) {
  const std::string record = R"({"data": {"batch": 4, "content": "Sentence 4."}, )"
                             R"("_metadata": {"timestamp": "1795558512488", "message_id": 4}})";
  EXPECT_EQ(record, round_trip(record));
  Json parsed = parse_or_die(record);
  EXPECT_EQ("data", parsed.begin().key());  // insertion order, not sorted
  EXPECT_EQ(4, parsed["_metadata"]["message_id"].get<int>());
}

TEST(PythonJsonTest, DuplicateKeysLastValueWinsAtFirstPosition) {
  // json.dumps(json.loads('{"a": 1, "b": 2, "a": 3}'))
  EXPECT_EQ(R"({"a": 3, "b": 2})", round_trip(R"({"a": 1, "b": 2, "a": 3})"));
}

TEST(PythonJsonTest, DeepNestingDoesNotOverflowTheStack) {
  constexpr int kDepth = 200000;
  const std::string text = std::string(kDepth, '[') + std::string(kDepth, ']');
  EXPECT_EQ(text, round_trip(text));
}

TEST(PythonJsonTest, AppendKeepsWhatTheStringHeldAndEachCallStartsAfresh) {
  constexpr int kDepth = 5000;  // past the frames a thread keeps between calls
  const std::string deep = std::string(kDepth, '[') + std::string(kDepth, ']');
  std::string out = "key:";
  append_python_style(out, parse_or_die(deep));
  EXPECT_EQ(out, "key:" + deep);
  out = "key:";
  append_python_style(out, parse_or_die(R"({"a": [1, {"b": {}}], "c": "d"})"));
  EXPECT_EQ(out, R"(key:{"a": [1, {"b": {}}], "c": "d"})");
  EXPECT_EQ(dump_python_style(parse_or_die("[[1], 2]")), "[[1], 2]");
}

TEST(PythonJsonTest, InvalidJsonNamesTheByteOffset) {
  auto parsed = parse_json(R"({"a"x})", "line 3 of stdin");
  ASSERT_FALSE(parsed.is_ok());
  EXPECT_EQ(Code::kInvalidArgument, parsed.status().code());
  const std::string message = parsed.status().message();
  EXPECT_EQ(0u, message.rfind("line 3 of stdin: invalid JSON at byte 5: ", 0)) << message;
  EXPECT_EQ(std::string::npos, message.find("json.exception")) << message;
}

TEST(PythonJsonTest, RejectsTrailingGarbage) {
  auto parsed = parse_json(R"({"a": 1} x)", "f");
  ASSERT_FALSE(parsed.is_ok());
  EXPECT_EQ(0u, parsed.status().message().rfind("f: invalid JSON at byte 10: ", 0))
      << parsed.status().message();
}

TEST(PythonJsonTest, RejectsOtherBadInput) {
  for (const char* text : {"", "   ", "{", "[1,]", "{\"a\":}", "'a'", "NaN", "Infinity",
                           "[1] // comment", "\"\xFF\"", "\"\\ud800\"", "1e400"}) {
    auto parsed = parse_json(text, "input");
    ASSERT_FALSE(parsed.is_ok()) << text;
    EXPECT_EQ(Code::kInvalidArgument, parsed.status().code()) << text;
    EXPECT_EQ(0u, parsed.status().message().rfind("input: invalid JSON at byte ", 0))
        << parsed.status().message();
  }
}

TEST(PythonJsonTest, LongBadTokenIsShortenedInTheMessage) {
  const std::string text = "\"" + std::string(100000, 'a') + "\x01\"";
  auto parsed = parse_json(text, "input");
  ASSERT_FALSE(parsed.is_ok());
  EXPECT_LT(parsed.status().message().size(), 400u) << parsed.status().message();
}

}  // namespace
}  // namespace wal
