#include "util/crc32c.h"

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace wal::crc32c {
namespace {

// RFC 3720 appendix B.4.
TEST(Crc32cTest, StandardVectors) {
  std::string buffer(32, '\0');
  EXPECT_EQ(0x8A9136AAu, value(buffer));
  EXPECT_EQ(0x8A9136AAu, extend_portable(0, buffer.data(), buffer.size()));

  buffer.assign(32, '\xff');
  EXPECT_EQ(0x62A8AB43u, value(buffer));
  EXPECT_EQ(0x62A8AB43u, extend_portable(0, buffer.data(), buffer.size()));

  for (int i = 0; i < 32; ++i) buffer[i] = static_cast<char>(i);
  EXPECT_EQ(0x46DD794Eu, value(buffer));
  EXPECT_EQ(0x46DD794Eu, extend_portable(0, buffer.data(), buffer.size()));

  for (int i = 0; i < 32; ++i) buffer[i] = static_cast<char>(31 - i);
  EXPECT_EQ(0x113FDB5Cu, value(buffer));
  EXPECT_EQ(0x113FDB5Cu, extend_portable(0, buffer.data(), buffer.size()));
}

TEST(Crc32cTest, CheckValue) {
  EXPECT_EQ(0xE3069283u, value("123456789"));
  EXPECT_EQ(0xE3069283u, value("123456789", 9));
  EXPECT_EQ(0xE3069283u, extend_portable(0, "123456789", 9));
}

TEST(Crc32cTest, Empty) {
  EXPECT_EQ(0u, value(""));
  EXPECT_EQ(0x12345678u, extend(0x12345678u, "", 0));
  EXPECT_EQ(0x12345678u, extend_portable(0x12345678u, nullptr, 0));
}

TEST(Crc32cTest, Values) {
  EXPECT_NE(value("a"), value("foo"));
  EXPECT_NE(value("foo"), value("bar"));
}

TEST(Crc32cTest, ExtendComposes) {
  EXPECT_EQ(value("hello world"), extend(value("hello "), "world", 5));
  EXPECT_EQ(value("hello world"), extend_portable(value("hello "), "world", 5));

  std::mt19937 random(7);
  std::string data(1000, '\0');
  for (char& c : data) c = static_cast<char>(random());
  const uint32_t whole = value(data);
  for (size_t split = 0; split <= data.size(); split += 37) {
    const uint32_t head = value(data.data(), split);
    EXPECT_EQ(whole, extend(head, data.data() + split, data.size() - split)) << split;
    EXPECT_EQ(whole, extend_portable(head, data.data() + split, data.size() - split)) << split;
  }
}

// Every length 0..300 at every start offset 0..7, so that both paths meet
// every combination of misalignment and tail length.
TEST(Crc32cTest, HardwareAndPortableAgree) {
  std::mt19937 random(42);
  std::vector<char> buffer(300 + 8);
  for (char& c : buffer) c = static_cast<char>(random());
  for (size_t start = 0; start < 8; ++start) {
    for (size_t length = 0; length <= 300; ++length) {
      const char* data = buffer.data() + start;
      const uint32_t init = static_cast<uint32_t>(random());
      ASSERT_EQ(extend_portable(0, data, length), extend(0, data, length))
          << "start " << start << " length " << length;
      ASSERT_EQ(extend_portable(init, data, length), extend(init, data, length))
          << "start " << start << " length " << length;
    }
  }
}

TEST(Crc32cTest, HardwareAndPortableAgreeOnLargeBuffer) {
  std::mt19937 random(1);
  std::string data(1 << 20, '\0');
  for (char& c : data) c = static_cast<char>(random());
  EXPECT_EQ(extend_portable(0, data.data(), data.size()), value(data));
}

TEST(Crc32cTest, ReportsPath) {
  // Informational: which path the other tests exercised.
  std::printf("crc32c hardware_accelerated() = %d\n", hardware_accelerated() ? 1 : 0);
#if !defined(__x86_64__)
  EXPECT_FALSE(hardware_accelerated());
#endif
}

}  // namespace
}  // namespace wal::crc32c
