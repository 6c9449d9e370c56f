// The segmented layout's frames, payloads and names, byte by byte, and what
// every kind of damage to a frame reads as.
#include <gtest/gtest.h>

#include <string>

#include "segmented/client_checkpoint.h"
#include "segmented/coding.h"
#include "segmented/file_names.h"
#include "segmented/message_record.h"
#include "segmented/payloads.h"
#include "segmented/record_format.h"
#include "segmented/record_reader.h"
#include "segmented/record_writer.h"
#include "util/crc32c.h"

namespace wal::segmented {
namespace {

constexpr uint64_t kNumber = 7;

std::string frame(RecordType type, std::string_view payload, uint64_t number = kNumber) {
  std::string out;
  append_frame(&out, type, number, payload);
  return out;
}

// Reads every frame of `bytes` until the reader stops; returns the outcome it stopped with.
FrameReader::Outcome read_all(std::string_view bytes, std::vector<Frame>* frames,
                              uint64_t* stopped_at = nullptr, std::string* problem = nullptr) {
  FrameReader reader(bytes, kNumber, 0, /*snapshot=*/false);
  std::string why;
  while (true) {
    Frame frame;
    const FrameReader::Outcome outcome = reader.next(&frame, &why);
    if (outcome != FrameReader::Outcome::kFrame) {
      if (stopped_at) *stopped_at = reader.position();
      if (problem) *problem = why;
      return outcome;
    }
    frames->push_back(frame);
  }
}

TEST(SegmentedFrameTest, HeaderHoldsCrcLengthTypeAndLogNumberLittleEndian) {
  const std::string bytes = frame(RecordType::kPersist, "abc", 0x0102030405060708ull);
  ASSERT_EQ(bytes.size(), kHeaderSize + 3);
  EXPECT_EQ(get_fixed32(bytes.data() + 4), 3u);
  EXPECT_EQ(bytes[8], 1);
  EXPECT_EQ(std::string(bytes.data() + 9, 8), std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
  EXPECT_EQ(bytes.substr(17), "abc");
  const uint32_t crc = crc32c::value(bytes.data() + 8, bytes.size() - 8);
  EXPECT_EQ(get_fixed32(bytes.data()), mask_crc(crc));
  EXPECT_NE(get_fixed32(bytes.data()), crc);  // masked, as LevelDB does
  EXPECT_EQ(unmask_crc(mask_crc(crc)), crc);
}

TEST(SegmentedFrameTest, FramesOfEveryTypeRoundTrip) {
  std::string bytes = frame(RecordType::kPersist, encode_persist("client", 42, R"({"data": 1})"));
  bytes += frame(RecordType::kClear, encode_clear("client"));
  bytes += frame(RecordType::kPersist, encode_persist("c", UINT64_MAX, ""));
  bytes += frame(RecordType::kSegmentEnd, "");
  std::vector<Frame> frames;
  EXPECT_EQ(read_all(bytes, &frames), FrameReader::Outcome::kEnd);
  ASSERT_EQ(frames.size(), 4u);
  PersistPayload persist;
  ASSERT_TRUE(decode_persist(frames[0].payload, &persist));
  EXPECT_EQ(persist.client_id, "client");
  EXPECT_EQ(persist.message_id, 42u);
  EXPECT_EQ(persist.json, R"({"data": 1})");
  ClientPayload clear;
  ASSERT_TRUE(decode_clear(frames[1].payload, &clear));
  EXPECT_EQ(clear.client_id, "client");
  ASSERT_TRUE(decode_persist(frames[2].payload, &persist));
  EXPECT_EQ(persist.message_id, UINT64_MAX);
  EXPECT_EQ(frames[3].type, RecordType::kSegmentEnd);
  EXPECT_EQ(frames[3].end(), bytes.size());
}

TEST(SegmentedFrameTest, PersistDataPayloadHoldsAVarintIdAndTheDataAlone) {
  const std::string payload = encode_persist_data("client", 300, R"({"content": "x"})");
  EXPECT_EQ(payload, std::string("\x06"
                                 "client"
                                 "\xac\x02") +
                         R"({"content": "x"})");
  PersistPayload persist;
  ASSERT_TRUE(decode_message(RecordType::kPersistData, payload, &persist));
  EXPECT_TRUE(persist.data_only);
  EXPECT_EQ(persist.client_id, "client");
  EXPECT_EQ(persist.message_id, 300u);
  EXPECT_EQ(persist.json, R"({"content": "x"})");
  // Every id round-trips, the largest in ten bytes.
  for (uint64_t id : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{1} << 63, UINT64_MAX}) {
    const std::string bytes = encode_persist_data("c", id, "1");
    ASSERT_TRUE(decode_persist_data(bytes, &persist)) << id;
    EXPECT_EQ(persist.message_id, id);
    EXPECT_EQ(persist.json, "1");
  }
  EXPECT_EQ(encode_persist_data("c", UINT64_MAX, "").size(), 2u + 10u);
  // The two message types read by one call; other types are not messages.
  const std::string whole = encode_persist("c", 9, "{}");
  ASSERT_TRUE(decode_message(RecordType::kPersist, whole, &persist));
  EXPECT_FALSE(persist.data_only);
  EXPECT_EQ(persist.message_id, 9u);
  EXPECT_EQ(persist.json, "{}");
  const std::string clear = encode_clear("c");
  EXPECT_FALSE(decode_message(RecordType::kClear, clear, &persist));
  EXPECT_TRUE(is_message_type(RecordType::kPersistData));
  EXPECT_FALSE(is_message_type(RecordType::kSegmentEnd));
}

TEST(SegmentedFrameTest, MalformedVarintIdsAreRefused) {
  PersistPayload persist;
  const std::string id =
      "\x01"
      "a";
  EXPECT_FALSE(decode_persist_data(id, &persist));           // no id at all
  EXPECT_FALSE(decode_persist_data(id + "\x80", &persist));  // cut short
  EXPECT_FALSE(
      decode_persist_data(id + std::string("\x80\x00{}", 4), &persist));  // not the shortest form
  EXPECT_FALSE(decode_persist_data(id + std::string(10, '\xff') + "\x01", &persist));  // 11 bytes
  // The tenth byte holds only the 64th bit.
  EXPECT_FALSE(decode_persist_data(id + std::string(9, '\xff') + "\x02", &persist));
  EXPECT_TRUE(decode_persist_data(id + std::string(9, '\xff') + "\x01", &persist));
  EXPECT_EQ(persist.message_id, UINT64_MAX);
}

// {"data": data, "_metadata": metadata}, as an interpreter's format_data makes it.
Json record_of(Json data, Json metadata = Json::object()) {
  Json record = Json::object();
  record["data"] = std::move(data);
  record["_metadata"] = std::move(metadata);
  return record;
}

TEST(SegmentedMessageRecordTest, RecordOfDataAndEmptyMetadataIsStoredAsTheDataAlone) {
  for (const Json& data : {Json{{"content", "caf\u00e9"}, {"batch", 3}}, Json(nullptr),
                           Json::array({1.5, "x"}), Json("text"), Json::object()}) {
    const Json record = record_of(data);
    const MessageFrame message = frame_message("client", 77, record);
    EXPECT_EQ(message.type, RecordType::kPersistData);
    EXPECT_EQ(message.record_bytes, dump_python_style(record).size());
    PersistPayload persist;
    ASSERT_TRUE(decode_message(message.type, message.payload, &persist));
    EXPECT_EQ(persist.json, dump_python_style(data));
    EXPECT_EQ(persist.message_id, 77u);
    auto read = message_record(persist, "segment");
    ASSERT_TRUE(read.is_ok()) << read.status().to_string();
    EXPECT_EQ(dump_python_style(*read),
              dump_python_style(record));  // the same bytes, key order too
  }
}

TEST(SegmentedMessageRecordTest, FrameMadeFromTheDataAloneIsTheFrameOfItsRecord) {
  for (const Json& data :
       {Json{{"content", "caf\u00e9"}, {"batch", 3}}, Json(nullptr), Json::array({1.5, "x"}),
        Json("text"), Json::object(), Json{{"long", std::string(1000, 'x')}}}) {
    const MessageFrame from_data = frame_persist_data("client", 1u << 20, data);
    EXPECT_EQ(from_data.type, RecordType::kPersistData);
    EXPECT_EQ(from_data.payload, encode_persist_data("client", 1u << 20, dump_python_style(data)))
        << data.dump();
    EXPECT_EQ(from_data.record_bytes, dump_python_style(record_of(data)).size());
  }
}

TEST(SegmentedMessageRecordTest, RecordOfAnyOtherShapeIsStoredWhole) {
  Json metadata_first = Json::object();
  metadata_first["_metadata"] = Json::object();
  metadata_first["data"] = 1;
  Json extra_key = record_of(1);
  extra_key["extra"] = true;
  for (const Json& record : {record_of(1, Json{{"stamp", "t"}}), metadata_first, extra_key,
                             Json{{"_metadata", Json::object()}}}) {
    const MessageFrame message = frame_message("c", 5, record);
    EXPECT_EQ(message.type, RecordType::kPersist) << record.dump();
    EXPECT_EQ(message.record_bytes, dump_python_style(record).size());
    PersistPayload persist;
    ASSERT_TRUE(decode_message(message.type, message.payload, &persist));
    auto read = message_record(persist, "segment");
    ASSERT_TRUE(read.is_ok());
    EXPECT_EQ(dump_python_style(*read), dump_python_style(record));
  }
}

TEST(SegmentedMessageRecordTest, DataThatDoesNotParseIsAnErrorNamingTheFile) {
  const std::string payload = encode_persist_data("c", 1, R"({"content": )");
  PersistPayload persist;  // views into `payload`
  ASSERT_TRUE(decode_persist_data(payload, &persist));
  auto read = message_record(persist, "/d/segment-7.log");
  ASSERT_FALSE(read.is_ok());
  EXPECT_NE(read.status().to_string().find("/d/segment-7.log"), std::string::npos)
      << read.status().to_string();
}

TEST(SegmentedFrameTest, SnapshotPayloadsRoundTrip) {
  Position covered;
  ASSERT_TRUE(decode_snapshot_begin(encode_snapshot_begin({3, 4096}), &covered));
  EXPECT_EQ(covered, (Position{3, 4096}));
  SnapshotClientPayload client;
  const std::string encoded = encode_snapshot_client("id", 9, "{}");  // the views point into it
  ASSERT_TRUE(decode_snapshot_client(encoded, &client));
  EXPECT_EQ(client.client_id, "id");
  EXPECT_EQ(client.max_message_id, 9u);
  EXPECT_EQ(client.json, "{}");
  uint64_t count = 0;
  ASSERT_TRUE(decode_snapshot_end(encode_snapshot_end(12), &count));
  EXPECT_EQ(count, 12u);
}

TEST(SegmentedFrameTest, ExactClientCheckpointsCarryTheirDedupStateFirst) {
  ClientCheckpoint checkpoint;
  checkpoint.state = Json{{"content", "a b"}};
  checkpoint.dedup = DedupState::Saved{2, 1, {{4, 5}}};
  checkpoint.pending = {{4, Json{{"content", "d"}}}, {5, Json{{"content", "e"}}}};
  const std::string json = encode_client_checkpoint(DedupPolicy::kExact, checkpoint);
  EXPECT_TRUE(json.starts_with(R"({"dedup": )")) << json;
  auto whole = decode_client_checkpoint(DedupPolicy::kExact, json, 5, "snap", 0);
  ASSERT_TRUE(whole.is_ok()) << whole.status().to_string();
  EXPECT_EQ(whole->state, checkpoint.state);
  EXPECT_EQ(whole->dedup, checkpoint.dedup);
  EXPECT_EQ(whole->pending, checkpoint.pending);
  EXPECT_EQ(*decode_client_dedup(DedupPolicy::kExact, json, 5, "snap", 0), checkpoint.dedup);

  // Recovery reads the dedup member alone: damage in the state after it is
  // found when the state is read.
  const std::string damaged_state = json.substr(0, json.find(R"("state")")) + R"("state": {)";
  EXPECT_EQ(*decode_client_dedup(DedupPolicy::kExact, damaged_state, 5, "snap", 0),
            checkpoint.dedup);
  EXPECT_EQ(
      decode_client_checkpoint(DedupPolicy::kExact, damaged_state, 5, "snap", 0).status().code(),
      Code::kCorruption);
  // A frame with its members in another order is read whole.
  const std::string reordered =
      R"({"state": {"content": "a b"}, "pending": [], "dedup": {"low_water_mark": 2, )"
      R"("recorded_from": 1, "runs": []}})";
  EXPECT_EQ(*decode_client_dedup(DedupPolicy::kExact, reordered, 2, "snap", 0),
            (DedupState::Saved{2, 1, {}}));
  const std::string bad_dedup = R"({"dedup": {"low_water_mark": "x"}, "state": {}})";
  EXPECT_EQ(decode_client_dedup(DedupPolicy::kExact, bad_dedup, 2, "snap", 0).status().code(),
            Code::kCorruption);
}

TEST(SegmentedFrameTest, MalformedPayloadsAreRefused) {
  PersistPayload persist;
  EXPECT_FALSE(decode_persist("", &persist));
  EXPECT_FALSE(decode_persist(std::string("\0", 1), &persist));  // empty client id
  EXPECT_FALSE(
      decode_persist("\x05"
                     "abc",
                     &persist));  // id runs past the end
  EXPECT_FALSE(
      decode_persist("\x01"
                     "a"
                     "1234567",
                     &persist));  // message id cut short
  ClientPayload clear;
  EXPECT_FALSE(
      decode_clear("\x01"
                   "ab",
                   &clear));  // trailing bytes
  Position position;
  EXPECT_FALSE(decode_snapshot_begin("short", &position));
}

TEST(SegmentedFrameTest, ZeroFilledSpaceIsTheEndNotDamage) {
  std::string bytes = frame(RecordType::kPersist, encode_persist("c", 1, "{}"));
  const uint64_t end = bytes.size();
  bytes += std::string(4096, '\0');
  std::vector<Frame> frames;
  uint64_t stopped = 0;
  EXPECT_EQ(read_all(bytes, &frames, &stopped), FrameReader::Outcome::kEnd);
  EXPECT_EQ(frames.size(), 1u);
  EXPECT_EQ(stopped, end);
}

TEST(SegmentedFrameTest, FrameOfAPreviousRecycleIsTheEndNotDamage) {
  // A recycled file still holds whole, valid frames of its previous life.
  std::string bytes = frame(RecordType::kPersist, encode_persist("c", 1, "{}"));
  bytes += frame(RecordType::kPersist, encode_persist("c", 2, "{}"), kNumber - 3);
  std::vector<Frame> frames;
  EXPECT_EQ(read_all(bytes, &frames), FrameReader::Outcome::kEnd);
  EXPECT_EQ(frames.size(), 1u);
}

TEST(SegmentedFrameTest, FrameWhoseLogNumberAloneIsDamagedIsDamageNotTheEnd) {
  std::string bytes = frame(RecordType::kPersist, encode_persist("c", 1, "{}"));
  bytes[kLogNumberOffset + 3] = static_cast<char>(bytes[kLogNumberOffset + 3] ^ 0x10);
  bytes += std::string(kHeaderSize, '\0');
  std::vector<Frame> frames;
  uint64_t at = 1;
  std::string problem;
  EXPECT_EQ(read_all(bytes, &frames, &at, &problem), FrameReader::Outcome::kDamaged);
  EXPECT_TRUE(frames.empty());
  EXPECT_EQ(at, 0u);
  EXPECT_NE(problem.find("log number"), std::string::npos) << problem;
}

TEST(SegmentedFrameTest, FlippedPayloadBitIsCrcMismatch) {
  std::string bytes = frame(RecordType::kPersist, encode_persist("c", 1, R"({"a": 1})"));
  bytes[bytes.size() - 2] ^= 0x01;
  std::vector<Frame> frames;
  std::string problem;
  uint64_t stopped = 99;
  EXPECT_EQ(read_all(bytes, &frames, &stopped, &problem), FrameReader::Outcome::kDamaged);
  EXPECT_EQ(stopped, 0u);
  EXPECT_EQ(problem, "crc32c mismatch");
}

TEST(SegmentedFrameTest, FrameCutShortIsDamage) {
  const std::string whole = frame(RecordType::kPersist, encode_persist("c", 1, R"({"a": 1})"));
  std::vector<Frame> frames;
  std::string problem;
  EXPECT_EQ(read_all(whole.substr(0, whole.size() - 1), &frames, nullptr, &problem),
            FrameReader::Outcome::kDamaged);
  EXPECT_NE(problem.find("runs past the end"), std::string::npos);
}

TEST(SegmentedFrameTest, ZeroedPayloadIsDamage) {
  // The header reached the disk, the payload did not: a torn write.
  std::string bytes = frame(RecordType::kPersist, encode_persist("c", 1, R"({"a": 1})"));
  std::fill(bytes.begin() + kHeaderSize, bytes.end(), '\0');
  std::vector<Frame> frames;
  EXPECT_EQ(read_all(bytes, &frames), FrameReader::Outcome::kDamaged);
}

TEST(SegmentedFrameTest, UnknownTypeIsDamage) {
  std::string bytes = frame(RecordType::kSnapshotClient, "x");  // not a segment type
  std::vector<Frame> frames;
  std::string problem;
  EXPECT_EQ(read_all(bytes, &frames, nullptr, &problem), FrameReader::Outcome::kDamaged);
  EXPECT_NE(problem.find("unknown record type 17"), std::string::npos);
}

TEST(SegmentedFrameTest, RemainderTooShortForAHeaderIsTheEnd) {
  std::string bytes = frame(RecordType::kPersist, encode_persist("c", 1, "{}"));
  bytes += "\x01\x02\x03";  // the writer never starts a frame it cannot finish
  std::vector<Frame> frames;
  EXPECT_EQ(read_all(bytes, &frames), FrameReader::Outcome::kEnd);
  EXPECT_EQ(frames.size(), 1u);
}

TEST(SegmentedFrameTest, FindFrameReachesTheFirstWholeFrameAfterDamage) {
  std::string bytes = frame(RecordType::kPersist, encode_persist("c", 1, "{}"));
  const uint64_t second = bytes.size();
  bytes += frame(RecordType::kPersist, encode_persist("c", 2, "{}"));
  const uint64_t third = bytes.size();
  bytes += frame(RecordType::kPersist, encode_persist("c", 3, "{}"));
  bytes[second + kHeaderSize] ^= 0x40;
  FrameReader reader(bytes, kNumber, second, false);
  Frame frame;
  std::string problem;
  ASSERT_EQ(reader.next(&frame, &problem), FrameReader::Outcome::kDamaged);
  EXPECT_EQ(reader.find_frame(second + 1), third);
  EXPECT_EQ(reader.find_frame(third + 1), std::nullopt);
}

TEST(SegmentedFileNameTest, NamesRoundTripAndSortByNumber) {
  EXPECT_EQ(segment_file_name(12), "segment-00000000000000000012.log");
  EXPECT_EQ(snapshot_file_name(3), "snapshot-00000000000000000003.snap");
  EXPECT_EQ(free_file_name(UINT64_MAX), "free-18446744073709551615.log");
  EXPECT_LT(segment_file_name(9), segment_file_name(10));
  const ParsedFileName segment = parse_file_name(segment_file_name(12));
  EXPECT_EQ(segment.kind, FileKind::kSegment);
  EXPECT_EQ(segment.number, 12u);
  EXPECT_EQ(parse_file_name(snapshot_file_name(3)).kind, FileKind::kSnapshot);
  EXPECT_EQ(parse_file_name(free_file_name(4)).kind, FileKind::kFree);
  EXPECT_EQ(free_snapshot_file_name(7), "free-00000000000000000007.snap");
  const ParsedFileName free_snapshot = parse_file_name(free_snapshot_file_name(7));
  EXPECT_EQ(free_snapshot.kind, FileKind::kFreeSnapshot);
  EXPECT_EQ(free_snapshot.number, 7u);
  EXPECT_EQ(parse_file_name(temp_file_name(segment_file_name(5))).kind, FileKind::kTemp);
}

TEST(SegmentedFileNameTest, OtherNamesAreUnknown) {
  for (const char* name :
       {"LAYOUT", ".wal.lock", "segment-12.log", "segment-0000000000000000001x.log",
        "segment-00000000000000000012.snap", "notes.tmp", "client"}) {
    EXPECT_EQ(parse_file_name(name).kind, FileKind::kUnknown) << name;
  }
}

// A file numbered 0 (the log number of zero-filled space) or 2^64-1 (which has
// no successor) is not ours: recovery once replayed past 2^64-1 into segment
// 0 and dropped the file (found by the segment_record fuzzer).
TEST(SegmentedFileNameTest, NumbersZeroAndTheLargestAreNotOurs) {
  for (const std::string& name :
       {segment_file_name(0), segment_file_name(UINT64_MAX), snapshot_file_name(0),
        snapshot_file_name(UINT64_MAX), free_file_name(0), free_file_name(UINT64_MAX),
        free_snapshot_file_name(0), free_snapshot_file_name(UINT64_MAX),
        temp_file_name(segment_file_name(UINT64_MAX))}) {
    EXPECT_EQ(parse_file_name(name).kind, FileKind::kUnknown) << name;
  }
  EXPECT_EQ(parse_file_name(segment_file_name(UINT64_MAX - 1)).kind, FileKind::kSegment);
  EXPECT_EQ(parse_file_name(segment_file_name(1)).kind, FileKind::kSegment);
}

}  // namespace
}  // namespace wal::segmented
