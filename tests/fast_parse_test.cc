// parse_json's fast path (simdjson) must give exactly what nlohmann's parser
// gives, type by type, and must refuse whatever nlohmann refuses, so that
// the precise error still comes from nlohmann.
#include "json/fast_parse.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "identical_json.h"

namespace wal {
namespace {

Json nlohmann_parse(const std::string& text) { return Json::parse(text, nullptr, false); }

void expect_same_as_nlohmann(const std::string& text) {
  const Json expected = nlohmann_parse(text);
  ASSERT_FALSE(expected.is_discarded()) << text;
  const std::optional<Json> fast = parse_json_fast(text);
  ASSERT_TRUE(fast.has_value()) << "the fast path refused " << text;
  EXPECT_EQ(json_difference(*fast, expected), "") << text;
}

TEST(FastParseTest, TypicalRecordIsParsedByTheFastPath) {
  expect_same_as_nlohmann(
      R"({"data": {"content": "Sentence 4.", "batch": 4}, "_metadata": {"message_id": 4}})");
}

TEST(FastParseTest, IntegersKeepNlohmannsSignedAndUnsignedTypes) {
  expect_same_as_nlohmann(
      "[0, 1, -1, 9223372036854775807, -9223372036854775808, 9223372036854775808, "
      "18446744073709551615]");
}

TEST(FastParseTest, FloatsStayFloatsEvenWhenWhole) {
  expect_same_as_nlohmann("[1.0, 2.5, 1E2, 1e-7, 0.0, 1.7976931348623157e308, 5e-324, 0.1]");
}

TEST(FastParseTest, NegativeZeroKeepsNlohmannsIntegerAndFloatTypes) {
  // nlohmann makes "-0" the signed integer 0 and "0" the unsigned one;
  // simdjson gives 0 for both, so a document with an integer "-0" goes to
  // nlohmann, and parse_json gives nlohmann's types.
  for (const std::string text : {"-0", "[-0, 0, -0.0, 0.0, -0e0]"}) {
    EXPECT_FALSE(parse_json_fast(text).has_value()) << text;
    const Result<Json> parsed = parse_json(text, "negative zeros");
    ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
    EXPECT_EQ(json_difference(*parsed, nlohmann_parse(text)), "") << text;
  }
  // A float -0.0 keeps its sign on the fast path.
  expect_same_as_nlohmann(R"({"a": -0.0, "b": [-0e0, 0.0]})");
}

TEST(FastParseTest, IntegerBeyondSixtyFourBitsGoesToNlohmann) {
  // nlohmann reads it as a float; simdjson refuses it.
  EXPECT_FALSE(parse_json_fast("18446744073709551616").has_value());
  EXPECT_TRUE(nlohmann_parse("18446744073709551616").is_number_float());
}

TEST(FastParseTest, DuplicateKeysKeepTheFirstPlaceAndTheLastValue) {
  expect_same_as_nlohmann(R"({"a": 1, "b": 2, "a": {"c": [3]}})");
}

TEST(FastParseTest, EscapesAndNonAsciiTextAreDecodedAlike) {
  expect_same_as_nlohmann(
      R"(["\u00e9\ud83d\ude00", "\"\\\/\b\f\n\r\t", "caf\u00e9", "\u0000x", "é😀"])");
}

TEST(FastParseTest, NestedEmptyContainersAndScalars) {
  expect_same_as_nlohmann(R"({"a": [], "b": {}, "c": [[[]], {"d": null}], "e": true, "f": false})");
  expect_same_as_nlohmann("\"just a string\"");
  expect_same_as_nlohmann("  42  ");
}

TEST(FastParseTest, WhatNlohmannRefusesTheFastPathRefusesToo) {
  const std::vector<std::string> refused = {
      "",
      "   ",
      "{",
      "[1,]",
      "{\"a\":}",
      "'a'",
      "NaN",
      "Infinity",
      "-Infinity",
      "[1] // comment",
      "\"\xFF\"",
      "\"\\ud800\"",
      "\"\\udc00\"",
      "\"\\ud800\\u0041\"",
      "1e400",
      "{\"a\" 1}",
      "[1 2]",
      "01",
      "1.",
      ".5",
      "+1",
      "\"\t\"",
      "\"\x01\"",
      "{\"a\": 1} x",
      "[\"\\x\"]",
      "tru",
      "nul",
  };
  for (const std::string& text : refused) {
    ASSERT_TRUE(nlohmann_parse(text).is_discarded()) << "nlohmann accepts " << text;
    EXPECT_FALSE(parse_json_fast(text).has_value()) << "the fast path accepts " << text;
  }
}

TEST(FastParseTest, ByteOrderMarkIsSkippedAsNlohmannSkipsIt) {
  // Whichever parser takes it, parse_json reads past the mark.
  const std::string text = "\xEF\xBB\xBF{\"a\": 1}";
  const Result<Json> parsed = parse_json(text, "a document with a byte order mark");
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(json_difference(*parsed, nlohmann_parse(text)), "");
}

TEST(FastParseTest, DeepNestingBeyondSimdjsonsLimitGoesToNlohmann) {
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_FALSE(parse_json_fast(deep).has_value());
  const std::string shallow = std::string(500, '[') + std::string(500, ']');
  expect_same_as_nlohmann(shallow);
}

TEST(FastParseTest, LargeDocumentIsParsedWithoutKeepingItsBuffers) {
  // Larger than what a thread's parser keeps: a parser of its own.
  Json big = Json::object();
  big["content"] = std::string(3u << 20, 'x');
  expect_same_as_nlohmann(big.dump());
}

}  // namespace
}  // namespace wal
