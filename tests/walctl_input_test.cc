// What walctl accepts as input: ingest lines, message ids, and bounded lines.
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "ingest_line.h"
#include "line_reader.h"

namespace walctl {
namespace {

TEST(IngestLine, WellFormedLineGivesClientIdAndData) {
  auto message = parse_ingest_line(R"({"client": "c1", "id": 42, "data": {"content": "x"}})");
  ASSERT_TRUE(message.is_ok()) << message.status().to_string();
  EXPECT_EQ(message->client_id, "c1");
  EXPECT_EQ(message->message_id, 42u);
  EXPECT_EQ(message->data, wal::Json::parse(R"({"content": "x"})"));
}

TEST(IngestLine, IdAsDigitStringIsAccepted) {
  auto message = parse_ingest_line(R"({"client": "c1", "id": "18446744073709551615", "data": 1})");
  ASSERT_TRUE(message.is_ok()) << message.status().to_string();
  EXPECT_EQ(message->message_id, 18446744073709551615u);
}

TEST(IngestLine, NegativeFractionalAndHugeIdsAreRefused) {
  for (const char* id : {"-1", "1.5", "18446744073709551616", "\"-1\"", "\"\"", "null", "true"}) {
    auto message =
        parse_ingest_line(std::string(R"({"client": "c", "data": {}, "id": )") + id + "}");
    ASSERT_FALSE(message.is_ok()) << id;
    EXPECT_EQ(message.status().code(), wal::Code::kInvalidArgument);
    EXPECT_NE(message.status().message().find("unsigned 64-bit"), std::string::npos)
        << message.status().to_string();
  }
}

TEST(IngestLine, MissingFieldsAreNamed) {
  EXPECT_NE(parse_ingest_line(R"({"id": 1, "data": {}})").status().message().find("\"client\""),
            std::string::npos);
  EXPECT_NE(parse_ingest_line(R"({"client": "c", "data": {}})").status().message().find("\"id\""),
            std::string::npos);
  EXPECT_NE(parse_ingest_line(R"({"client": "c", "id": 1})").status().message().find("\"data\""),
            std::string::npos);
}

TEST(IngestLine, UnknownKeyIsRefusedSoTyposAreNotSilent) {
  auto message = parse_ingest_line(R"({"client": "c", "id": 1, "data": {}, "Data": {}})");
  ASSERT_FALSE(message.is_ok());
  EXPECT_NE(message.status().message().find("\"Data\""), std::string::npos);
}

TEST(IngestLine, NonObjectAndInvalidJsonAreRefused) {
  EXPECT_EQ(parse_ingest_line("[1, 2]").status().code(), wal::Code::kInvalidArgument);
  EXPECT_EQ(parse_ingest_line("{\"client\": ").status().code(), wal::Code::kInvalidArgument);
  EXPECT_EQ(parse_ingest_line(std::string("{\"client\"\0: 1}", 15)).status().code(),
            wal::Code::kInvalidArgument);
}

TEST(MessageIdArgument, OnlyDecimalDigitsAreAccepted) {
  EXPECT_EQ(*parse_message_id("0"), 0u);
  EXPECT_EQ(*parse_message_id("18446744073709551615"), 18446744073709551615u);
  for (const char* text : {"", "-1", "+1", " 1", "1 ", "0x1", "1e3", "18446744073709551616"}) {
    EXPECT_FALSE(parse_message_id(text).is_ok()) << '"' << text << '"';
  }
}

// Feeds `input` through a pipe to a LineReader with the given bound.
std::vector<std::pair<LineReader::Outcome, std::string>> read_all(const std::string& input,
                                                                  size_t bound) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  // Inputs larger than the pipe buffer need a writer running beside the reader.
  std::thread writer([&] {
    size_t done = 0;
    while (done < input.size()) {
      const ssize_t n = ::write(fds[1], input.data() + done, input.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::close(fds[1]);
  });
  LineReader reader(fds[0], bound);
  std::vector<std::pair<LineReader::Outcome, std::string>> lines;
  for (;;) {
    std::string line;
    auto outcome = reader.next(&line);
    EXPECT_TRUE(outcome.is_ok());
    if (!outcome.is_ok() || *outcome == LineReader::Outcome::kEnd) break;
    lines.emplace_back(*outcome, *outcome == LineReader::Outcome::kLine ? line : "");
  }
  writer.join();
  ::close(fds[0]);
  return lines;
}

TEST(LineReaderTest, LastLineWithoutNewlineCounts) {
  auto lines = read_all("a\nbc", 10);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].second, "a");
  EXPECT_EQ(lines[1].second, "bc");
}

TEST(LineReaderTest, OverlongLineIsSkippedToItsEndAndReported) {
  const std::string longer(100000, 'x');
  auto lines = read_all("ok\n" + longer + "\nafter\n" + longer, 1000);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], std::make_pair(LineReader::Outcome::kLine, std::string("ok")));
  EXPECT_EQ(lines[1].first, LineReader::Outcome::kTooLong);
  EXPECT_EQ(lines[2], std::make_pair(LineReader::Outcome::kLine, std::string("after")));
  EXPECT_EQ(lines[3].first, LineReader::Outcome::kTooLong);
}

TEST(LineReaderTest, EmptyInputHasNoLines) { EXPECT_TRUE(read_all("", 10).empty()); }

}  // namespace
}  // namespace walctl
