// Client ids name folders, so no id may name anything outside the base directory.
#include "test_util.h"

namespace wal::testing {
namespace {

TEST(ClientIdTest, OrdinaryIdsAreAccepted) {
  for (const std::string& id :
       std::vector<std::string>{"client123", "default", "orders-eu_2", "a b", "клиент", "客户",
                                "x.y", "x..", "a..b", "50%off", std::string(200, 'a')}) {
    EXPECT_TRUE(validate_client_id(id).is_ok()) << id;
  }
}

TEST(ClientIdTest, EmptyIdIsRefused) {
  EXPECT_EQ(validate_client_id("").code(), Code::kInvalidArgument);
}

TEST(ClientIdTest, DotAndDotDotAreRefused) {
  EXPECT_FALSE(validate_client_id(".").is_ok());
  EXPECT_FALSE(validate_client_id("..").is_ok());
}

TEST(ClientIdTest, LeadingDotIsReservedForWal) {
  EXPECT_FALSE(validate_client_id(".trash").is_ok());
  EXPECT_FALSE(validate_client_id(".wal.lock").is_ok());
}

TEST(ClientIdTest, SlashIsRefused) {
  EXPECT_FALSE(validate_client_id("a/b").is_ok());
  EXPECT_FALSE(validate_client_id("../../etc").is_ok());
  EXPECT_FALSE(validate_client_id("/etc").is_ok());
}

TEST(ClientIdTest, NulAndControlCharactersAreRefused) {
  EXPECT_FALSE(validate_client_id(std::string("a\0b", 3)).is_ok());
  EXPECT_FALSE(validate_client_id("a\nb").is_ok());
  EXPECT_FALSE(validate_client_id("a\x7f").is_ok());
  EXPECT_FALSE(validate_client_id("a\xc2\x85").is_ok());  // U+0085, NEXT LINE
}

TEST(ClientIdTest, OverLongIdIsRefused) {
  const Status status = validate_client_id(std::string(201, 'a'));
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
  EXPECT_NE(status.message().find("201 bytes"), std::string::npos);
}

TEST(ClientIdTest, InvalidUtf8IsRefused) {
  EXPECT_FALSE(validate_client_id("a\xff").is_ok());
  EXPECT_FALSE(validate_client_id("\xc0\xaf").is_ok());      // overlong '/'
  EXPECT_FALSE(validate_client_id("\xed\xa0\x80").is_ok());  // a UTF-16 surrogate
  EXPECT_FALSE(validate_client_id("\xe4\xb8").is_ok());      // cut short
}

TEST(ClientIdTest, HostileIdsReachNoFileOutsideTheBaseDirectory) {
  TempDir dir;
  auto log = open_log(options_for(dir.path() / "data"));
  const auto before = list_names(dir.path());
  for (const std::string& id :
       std::vector<std::string>{"", ".", "..", "../escape", "a/../../escape", "/tmp/escape",
                                std::string("nul\0", 4), std::string(256, 'x'), "\xff"}) {
    EXPECT_EQ(log->persist(id, sentence(1), 1).status().code(), Code::kInvalidArgument) << id;
    EXPECT_EQ(log->retrieve(id).status().code(), Code::kInvalidArgument) << id;
    EXPECT_EQ(log->clear(id).code(), Code::kInvalidArgument) << id;
  }
  EXPECT_EQ(list_names(dir.path()), before);
  EXPECT_EQ(list_names(dir.path() / "data"), std::vector<std::string>({".trash", ".wal.lock"}));
}

}  // namespace
}  // namespace wal::testing
