// The etcd key layout: ids that sort as numbers, escaping that keeps every
// client's keys inside its own range. Needs no etcd.
#include <gtest/gtest.h>

#include "etcd/key_layout.h"

namespace wal::etcd {
namespace {

TEST(EtcdKeyLayoutTest, IdsArePaddedToTwentyDigitsSoBytesSortAsNumbers) {
  EXPECT_EQ(pad_id(0), "00000000000000000000");
  EXPECT_EQ(pad_id(42), "00000000000000000042");
  EXPECT_EQ(pad_id(UINT64_MAX), "18446744073709551615");
  EXPECT_LT(pad_id(9), pad_id(10));
  EXPECT_LT(pad_id(UINT64_MAX - 1), pad_id(UINT64_MAX));
}

TEST(EtcdKeyLayoutTest, PaddedIdsParseBackAndAnythingElseIsRefused) {
  EXPECT_EQ(parse_padded_id(pad_id(UINT64_MAX)), UINT64_MAX);
  EXPECT_EQ(parse_padded_id(pad_id(7)), 7u);
  EXPECT_FALSE(parse_padded_id("18446744073709551616"));  // one above the largest
  EXPECT_FALSE(parse_padded_id("42"));
  EXPECT_FALSE(parse_padded_id("0000000000000000004x"));
}

TEST(EtcdKeyLayoutTest, MaxValueCarriesTheIdAndTheWritersToken) {
  auto parsed = parse_max_value(max_value(42, "abc-1"));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->id, 42u);
  EXPECT_EQ(parsed->token, "abc-1");
  // The token does not disturb etcd's byte-wise LESS compare on the id.
  EXPECT_LT(max_value(41, "zzzz"), pad_id(42));
  EXPECT_GE(max_value(42, "a"), pad_id(42));
  EXPECT_FALSE(parse_max_value("42"));
}

TEST(EtcdKeyLayoutTest, FloorValueCarriesTheMarkAndWhereRecordedIdsStart) {
  const FloorValue floor{41, 7};
  EXPECT_EQ(parse_floor_value(floor_value(floor)), floor);
  // A persist's LESS compare of the floor with the padded id holds exactly
  // for ids above the mark.
  EXPECT_LT(floor_value({41, 7}), pad_id(42));
  EXPECT_GE(floor_value({42, 0}), pad_id(42));
  EXPECT_FALSE(parse_floor_value(pad_id(41)));
  EXPECT_FALSE(parse_floor_value(pad_id(41) + " 7"));
}

TEST(EtcdKeyLayoutTest, EscapingIsReversibleAndLeavesNoSlash) {
  for (const std::string& id : {std::string("plain"), std::string("50%off"), std::string("a/b"),
                                std::string("%2F"), std::string("a b\n"), std::string("\x7f%")}) {
    const std::string escaped = escape_segment(id);
    EXPECT_EQ(escaped.find('/'), std::string::npos) << id;
    EXPECT_EQ(unescape_segment(escaped), id) << id;
  }
  EXPECT_EQ(escape_segment("50%off"), "50%25off");
  EXPECT_NE(escape_segment("a/b"), escape_segment("a%2Fb"));
  EXPECT_FALSE(unescape_segment("a%2"));
  EXPECT_FALSE(unescape_segment("a%41"));  // 'A' is never escaped
  EXPECT_FALSE(unescape_segment("a/b"));
}

TEST(EtcdKeyLayoutTest, NoClientRangeHoldsAnotherClientsKeys) {
  const KeyLayout layout("/wal/", "svc");
  EXPECT_EQ(layout.service_prefix(), "/wal/svc/");
  const std::vector<std::string> ids = {"a", "ab", "a b", "a%", "a%2F", "a/", "b"};
  for (const std::string& one : ids) {
    const std::string begin = layout.client_prefix(one);
    const std::string end = prefix_end(begin);
    for (const std::string& other : ids) {
      if (other == one) continue;
      const std::string key = KeyLayout::max_key(layout.client_prefix(other));
      EXPECT_FALSE(key >= begin && key < end) << one << " holds " << other;
    }
  }
}

TEST(EtcdKeyLayoutTest, MaxKeysNameTheirClient) {
  const KeyLayout layout("/wal", "svc");
  EXPECT_EQ(layout.client_of_max_key("/wal/svc/50%25off/max"), "50%off");
  EXPECT_FALSE(layout.client_of_max_key("/wal/svc/c/log/00000000000000000001"));
  EXPECT_FALSE(layout.client_of_max_key("/wal/svc/c/ckpt"));
  EXPECT_FALSE(layout.client_of_max_key("/wal/other/c/max"));
  EXPECT_FALSE(layout.client_of_max_key("/wal/svc/max"));
}

TEST(EtcdKeyLayoutTest, PrefixEndIsTheFirstKeyPastThePrefix) {
  EXPECT_EQ(prefix_end("/wal/c/"), "/wal/c0");
  EXPECT_EQ(prefix_end(std::string("a\xff", 2)), "b");
  EXPECT_EQ(prefix_end(""), std::string(1, '\0'));
}

TEST(EtcdKeyLayoutTest, ClientKeysAreTheDocumentedOnes) {
  const KeyLayout layout("/p", "s");
  const std::string client = layout.client_prefix("c");
  EXPECT_EQ(KeyLayout::max_key(client), "/p/s/c/max");
  EXPECT_EQ(KeyLayout::floor_key(client), "/p/s/c/floor");
  EXPECT_EQ(layout.dedup_policy_key(), "/p/s/.dedup");
  EXPECT_EQ(KeyLayout::log_key(client, 5), "/p/s/c/log/00000000000000000005");
  EXPECT_EQ(KeyLayout::checkpoint_key(client), "/p/s/c/ckpt");
  EXPECT_EQ(KeyLayout::chunk_key(client, "g", 3), "/p/s/c/ckpt/g/000003");
}

}  // namespace
}  // namespace wal::etcd
