// The bytes of a seed-layout file, and what damage to them looks like.
#include "seed/record_codec.h"
#include "seed/file_names.h"
#include "test_util.h"
#include "util/crc32c.h"

namespace wal::seed {
namespace {

Json sample_log() {
  return Json::parse(
      R"({"data": {"batch": 4, "content": "Sentence 4."}, "_metadata": {"timestamp": "1795558512488", "message_id": 4}})");
}

// The checksum was computed apart, with a bitwise CRC-32C in Python.
TEST(RecordCodecTest, LogBytesAreExactlyTheSeedFormatWithAChecksum) {
  EXPECT_EQ(encode_completed_file(sample_log()),
            "COMPLETED\n{\"data\": {\"batch\": 4, \"content\": \"Sentence 4.\"}, \"_metadata\": "
            "{\"timestamp\": \"1795558512488\", \"message_id\": 4, \"crc32c\": \"4af913ff\"}}");
}

TEST(RecordCodecTest, ChecksumCoversTheFileWithoutTheField) {
  const std::string original =
      "COMPLETED\n{\"data\": {\"batch\": 4, \"content\": \"Sentence 4.\"}, \"_metadata\": "
      "{\"timestamp\": \"1795558512488\", \"message_id\": 4}}";
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", crc32c::value(original));
  EXPECT_NE(encode_completed_file(sample_log()).find(hex), std::string::npos);
}

TEST(RecordCodecTest, EncodedFileDecodesToTheSameRecord) {
  auto decoded = decode_file(encode_completed_file(sample_log()), "f");
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->state, DecodedFile::State::kCompleted);
  EXPECT_TRUE(decoded->checksummed);
  EXPECT_EQ(decoded->body, sample_log());
}

TEST(RecordCodecTest, OriginalFileWithoutChecksumIsReadUnverified) {
  auto decoded = decode_file(
      "COMPLETED\n{\"data\": {\"content\": \"x\"}, \"_metadata\": {\"timestamp\": \"1\", "
      "\"message_id\": \"4\"}}",
      "f");
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_FALSE(decoded->checksummed);
  EXPECT_EQ(decoded->body["_metadata"]["message_id"], "4");
}

TEST(RecordCodecTest, ProcessingFileIsAnInterruptedWrite) {
  auto decoded = decode_file("PROCESSING\n{\"data\": 1, \"_metadata\": {}}", "f");
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_EQ(decoded->state, DecodedFile::State::kIncomplete);
}

TEST(RecordCodecTest, EmptyFileIsAnInterruptedWrite) {
  auto decoded = decode_file("", "f");
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_EQ(decoded->state, DecodedFile::State::kIncomplete);
}

TEST(RecordCodecTest, UnknownStatusLineIsCorruption) {
  auto decoded = decode_file("DONE\n{}", "dir/f");
  EXPECT_EQ(decoded.status().code(), Code::kCorruption);
  EXPECT_EQ(decoded.status().path(), "dir/f");
  EXPECT_EQ(decoded.status().offset(), 0u);
}

TEST(RecordCodecTest, TornJsonIsCorruptionAtTheJsonOffset) {
  auto decoded = decode_file("COMPLETED\n{\"content\": \"S1. S2. S3. S4. S5", "f");
  EXPECT_EQ(decoded.status().code(), Code::kCorruption);
  EXPECT_EQ(decoded.status().offset(), 10u);
}

TEST(RecordCodecTest, ChecksumFieldOutOfPlaceIsCorruption) {
  auto decoded = decode_file(
      "COMPLETED\n{\"data\": 1, \"_metadata\": {\"crc32c\": \"00000000\", \"message_id\": 1}}",
      "f");
  EXPECT_EQ(decoded.status().code(), Code::kCorruption);
}

TEST(RecordCodecTest, EveryTruncationIsDetected) {
  const std::string whole = encode_completed_file(sample_log());
  for (size_t length = 0; length < whole.size(); ++length) {
    auto decoded = decode_file(whole.substr(0, length), "f");
    if (length <= kCompleted.size()) {
      ASSERT_TRUE(decoded.is_ok()) << length;
      EXPECT_EQ(decoded->state, DecodedFile::State::kIncomplete) << length;
    } else {
      EXPECT_EQ(decoded.status().code(), Code::kCorruption) << length;
    }
  }
}

TEST(RecordCodecTest, NoSingleByteChangeIsReturnedAsOtherData) {
  const std::string whole = encode_completed_file(sample_log());
  int detected = 0;
  for (size_t at = 0; at < whole.size(); ++at) {
    for (int flip = 1; flip < 256; ++flip) {
      std::string damaged = whole;
      damaged[at] = static_cast<char>(damaged[at] ^ flip);
      auto decoded = decode_file(damaged, "f");
      if (!decoded.is_ok()) {
        ++detected;
        continue;
      }
      ASSERT_EQ(decoded->state, DecodedFile::State::kCompleted) << at << " " << flip;
      // Only a change inside the checksum's key name leaves valid JSON; the
      // record then reads as an original's file, with its data intact.
      EXPECT_EQ(decoded->body["data"], sample_log()["data"]) << at;
      EXPECT_EQ(decoded->body["_metadata"]["message_id"], 4) << at;
      EXPECT_EQ(decoded->body["_metadata"]["timestamp"], "1795558512488") << at;
    }
  }
  EXPECT_GT(detected, static_cast<int>(whole.size() * 250));
}

// Found by the seed_file fuzzer: an otherwise empty "_metadata" must still
// give a file that decodes, checksum and all.
TEST(RecordCodecTest, EmptyMetadataGetsAChecksumThatVerifies) {
  const Json body = Json::parse(R"({"content": "x", "_metadata": {}})");
  const std::string file = encode_completed_file(body);
  const std::string ending =
      R"("_metadata": {"crc32c": ")" + file.substr(file.size() - 11, 8) + "\"}}";
  EXPECT_EQ(file.substr(file.size() - ending.size()), ending);
  auto decoded = decode_file(file, "f");
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_TRUE(decoded->checksummed);
  EXPECT_EQ(decoded->body, body);
}

// A checkpoint is written as it is serialised: the pieces, whatever their
// size, join into exactly the bytes encode_completed_file returns, and none
// is larger than asked.
TEST(RecordCodecTest, FileWrittenInPiecesIsTheEncodedFile) {
  Json big = Json::parse(R"({"content": "", "_metadata": {"timestamp": "1"}})");
  big["content"] = std::string(200000, 'w') + "\"\n\xC3\xA9";
  const std::vector<Json> bodies = {sample_log(),
                                    Json::parse(R"({"content": "x", "_metadata": {}})"), big};
  for (const Json& body : bodies) {
    const std::string whole = encode_completed_file(body);
    for (size_t piece_bytes : {1, 2, 3, 4, 7, 64, 4096, 65536, 1 << 20}) {
      std::string joined;
      size_t largest = 0;
      const size_t reported = write_completed_file(body, piece_bytes, [&](std::string_view piece) {
        joined.append(piece);
        largest = std::max(largest, piece.size());
      });
      EXPECT_EQ(joined, whole) << "pieces of " << piece_bytes;
      EXPECT_EQ(reported, whole.size()) << "pieces of " << piece_bytes;
      // The held-back ending is written with its checksum field after it.
      EXPECT_LE(largest, std::max<size_t>(piece_bytes + 16, 64)) << "pieces of " << piece_bytes;
    }
  }
}

TEST(FileNamesTest, NamesRoundTrip) {
  const ParsedFileName log = parse_file_name(log_file_name(1795558512488, UINT64_MAX));
  EXPECT_EQ(log.kind, FileKind::kLog);
  EXPECT_EQ(log.timestamp, 1795558512488u);
  EXPECT_EQ(log.message_id, UINT64_MAX);
  const ParsedFileName checkpoint = parse_file_name(checkpoint_file_name(1795558512484));
  EXPECT_EQ(checkpoint.kind, FileKind::kCheckpoint);
  EXPECT_EQ(checkpoint.timestamp, 1795558512484u);
  EXPECT_EQ(parse_file_name(temp_file_name(log_file_name(1, 2))).kind, FileKind::kTemp);
}

TEST(FileNamesTest, NamesTheOriginalWouldNotWriteAreUnknown) {
  for (const char* name : {"log_1_-5.log", "log_1_abc.log", "log_1.log", "log__1.log",
                           "log_1_2.log.bak", "checkpoint_.log", "checkpoint_x.log", "notes.txt",
                           "log_1_18446744073709551616.log", "x.tmp", "log_+1_2.log"}) {
    EXPECT_EQ(parse_file_name(name).kind, FileKind::kUnknown) << name;
  }
}

}  // namespace
}  // namespace wal::seed
