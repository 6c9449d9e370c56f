// parse_first_member: the first member of a JSON object, read without
// parsing what follows it.
#include "json/first_member.h"

#include <gtest/gtest.h>

namespace wal {
namespace {

std::optional<Json> first(std::string_view text, std::string_view name = "dedup") {
  auto value = parse_first_member(text, name, "frame");
  EXPECT_TRUE(value.is_ok()) << value.status().to_string();
  return value.is_ok() ? *value : std::nullopt;
}

Status error_of(std::string_view text) {
  return parse_first_member(text, "dedup", "frame").status();
}

TEST(FirstMemberTest, NestedValuesComeBackWhole) {
  const Json dedup = Json::parse(
      R"({"low_water_mark": 7, "recorded_from": 1, "runs": [[9, 12], [15, 15]], "x": {"y": [true, null, -1.5, "s"]}})");
  EXPECT_EQ(first(R"({"dedup": )" + dedup.dump() + R"(, "state": {"a": 1}})"), dedup);
  EXPECT_EQ(first(R"({"dedup": 5, "state": 1})"), Json(5));
  EXPECT_EQ(first(R"({"dedup": [], "state": 1})"), Json::array());
}

TEST(FirstMemberTest, WhatFollowsTheMemberIsNotParsed) {
  EXPECT_EQ(first(R"({"dedup": {"runs": []}, "state": this is not json)"),
            (Json{{"runs", Json::array()}}));
}

TEST(FirstMemberTest, AnotherFirstNameOrAnEmptyObjectIsNothing) {
  EXPECT_EQ(first(R"({"state": {}, "dedup": {}})"), std::nullopt);
  EXPECT_EQ(first("{}"), std::nullopt);
}

TEST(FirstMemberTest, DamageUpToTheValuesEndIsCorruption) {
  for (std::string_view text : {R"({"dedup": {"runs": [1, }})", R"({"dedup": {"runs": [1)",
                                R"([{"dedup": 1}])", R"("dedup")", "", "{\"dedup\": tru"}) {
    const Status status = error_of(text);
    EXPECT_EQ(status.code(), Code::kCorruption) << text << ": " << status.to_string();
    EXPECT_NE(status.message().find("frame"), std::string::npos) << status.to_string();
  }
}

}  // namespace
}  // namespace wal
