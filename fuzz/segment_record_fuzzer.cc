// The segmented layout's record reader: any bytes as a segment file, numbered
// by the log number of its first header (1 when that is 0). Properties:
//  - reading never crashes, and each frame lies whole inside the file, right
//    after the one before it;
//  - a frame that reads re-encodes to exactly its bytes, and a payload that
//    decodes re-encodes to exactly the payload;
//  - damage is never returned as a frame: reading the damaged offset as a
//    record (read_frame_at, what retrieve does) is kCorruption naming the
//    file and that offset;
//  - recovery of a directory holding the file, in every mode, either fails
//    with kCorruption naming the file, or indexes only whole persist frames of
//    the file; in the strict modes only frames before the first damage; the
//    file is never removed, and the bytes before the damage are not changed.
// Each input is checked as it is and with every CRC made to match
// (fix_crcs.h), so that mutations get past the checksum.

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fix_crcs.h"
#include "fuzz_check.h"
#include "memory_storage.h"
#include "segmented/coding.h"
#include "segmented/file_names.h"
#include "segmented/payloads.h"
#include "segmented/record_reader.h"
#include "segmented/record_writer.h"
#include "segmented/recovery.h"

namespace {

using namespace wal;
using namespace wal::segmented;

constexpr const char* kDir = "/d";

// False when the payload does not have its type's shape (recovery treats
// such a frame as damage); when it does, it re-encodes to the same bytes.
bool payload_round_trips(const Frame& frame) {
  if (is_message_type(frame.type)) {
    PersistPayload persist;
    if (!decode_message(frame.type, frame.payload, &persist)) return false;
    FUZZ_CHECK(persist.data_only == (frame.type == RecordType::kPersistData));
    const std::string again =
        persist.data_only ? encode_persist_data(persist.client_id, persist.message_id, persist.json)
                          : encode_persist(persist.client_id, persist.message_id, persist.json);
    FUZZ_CHECK(again == frame.payload);
  } else if (frame.type == RecordType::kClear) {
    ClientPayload clear;
    if (!decode_clear(frame.payload, &clear)) return false;
    FUZZ_CHECK(encode_clear(clear.client_id) == frame.payload);
  }
  return true;
}

void check_recovery(std::string_view contents, uint64_t number, RecoveryMode mode,
                    const std::set<uint64_t>& persist_offsets, uint64_t first_damage) {
  fuzzing::MemoryStorage storage;
  const std::string path = std::string(kDir) + "/" + segment_file_name(number);
  storage.files()[path] = std::string(contents);
  RecoveryReport report;
  auto recovered = recover(storage, kDir, mode, &report);
  if (!recovered.is_ok()) {
    FUZZ_CHECK(recovered.status().code() == Code::kCorruption);
    FUZZ_CHECK(recovered.status().path() == path);
    FUZZ_CHECK(recovered.status().offset().has_value());
    FUZZ_CHECK(*recovered.status().offset() <= contents.size());
    FUZZ_CHECK(storage.files().at(path) == contents);  // a refusal changes nothing
    return;
  }
  // Never removed, and what precedes the damage is as it was.
  FUZZ_CHECK(storage.files().contains(path));
  const std::string& after = storage.files().at(path);
  FUZZ_CHECK(after.size() >= first_damage);
  FUZZ_CHECK(std::string_view(after).substr(0, first_damage) == contents.substr(0, first_damage));
  if (report.torn_tail) {
    bool truncated = false;
    for (const auto& event : report.events)
      truncated |= event.path == path && event.action == "truncated";
    FUZZ_CHECK(truncated);
  }
  const bool strict =
      mode == RecoveryMode::kTolerateTornTail || mode == RecoveryMode::kAbsoluteConsistency;
  for (const auto& [client_id, client] : recovered->clients) {
    FUZZ_CHECK(!client.snapshot);
    for (const Location& location : client.records) {
      FUZZ_CHECK(location.segment == number);
      // A whole persist frame of the original bytes, for this client.
      FrameReader reader(contents, number, location.offset, /*snapshot=*/false);
      Frame frame;
      std::string problem;
      FUZZ_CHECK(reader.next(&frame, &problem) == FrameReader::Outcome::kFrame);
      FUZZ_CHECK(frame.size() == location.size);
      PersistPayload persist;
      FUZZ_CHECK(decode_message(frame.type, frame.payload, &persist));
      FUZZ_CHECK(persist.client_id == client_id);
      if (strict) FUZZ_CHECK(persist_offsets.contains(location.offset));
    }
  }
}

void check_file(std::string_view contents) {
  const size_t size = contents.size();
  const uint64_t number = fuzzing::claimed_file_number(contents);
  const std::string path = std::string(kDir) + "/" + segment_file_name(number);
  fuzzing::MemoryStorage storage;
  storage.files()[path] = std::string(contents);
  auto file = storage.open_positional_file(path, false);
  FUZZ_CHECK(file.is_ok());

  // Walk the frames as recovery does, up to the end frame or the first damage.
  FrameReader reader(contents, number, 0, /*snapshot=*/false);
  std::set<uint64_t> persist_offsets;
  uint64_t at = 0;
  uint64_t first_damage = size;
  while (true) {
    Frame frame;
    std::string problem;
    const FrameReader::Outcome outcome = reader.next(&frame, &problem);
    if (outcome == FrameReader::Outcome::kFrame) {
      FUZZ_CHECK(frame.offset == at);
      FUZZ_CHECK(frame.end() <= size);
      FUZZ_CHECK(reader.position() == frame.end());
      FUZZ_CHECK(is_segment_type(static_cast<uint8_t>(frame.type)));
      std::string again;
      append_frame(&again, frame.type, number, frame.payload);
      FUZZ_CHECK(again == contents.substr(frame.offset, frame.size()));
      // Read back by location, as retrieve reads it: the same frame.
      Frame by_location;
      auto read = read_frame_at(**file, path, number, frame.offset,
                                static_cast<uint32_t>(frame.size()), false, &by_location);
      FUZZ_CHECK(read.is_ok());
      FUZZ_CHECK(by_location.type == frame.type && by_location.payload == frame.payload);
      if (!payload_round_trips(frame)) {
        first_damage = frame.offset;  // a malformed payload is damage to recovery
        break;
      }
      if (is_message_type(frame.type)) persist_offsets.insert(frame.offset);
      at = frame.end();
      if (frame.type == RecordType::kSegmentEnd) break;
      continue;
    }
    FUZZ_CHECK(reader.position() == at);
    // The writer leaves room for a header after every record: less is a cut.
    if (outcome == FrameReader::Outcome::kEnd && size - at < kHeaderSize) first_damage = at;
    if (outcome == FrameReader::Outcome::kDamaged) {
      first_damage = at;
      FUZZ_CHECK(!problem.empty());
      const std::optional<uint64_t> next = reader.find_frame(at + 1);
      if (next) {
        FUZZ_CHECK(*next > at);
        FrameReader again(contents, number, *next, /*snapshot=*/false);
        Frame found;
        FUZZ_CHECK(again.next(&found, &problem) == FrameReader::Outcome::kFrame);
      }
      // Damage read as a record is corruption at its offset, never data.
      const uint64_t rest = size - at;
      Frame none;
      auto read =
          read_frame_at(**file, path, number, at,
                        static_cast<uint32_t>(std::min<uint64_t>(rest, UINT32_MAX)), false, &none);
      FUZZ_CHECK(!read.is_ok());
      FUZZ_CHECK(read.status().code() == Code::kCorruption);
      FUZZ_CHECK(read.status().path() == path);
      FUZZ_CHECK(read.status().offset() == at);
    }
    break;
  }

  for (const RecoveryMode mode :
       {RecoveryMode::kTolerateTornTail, RecoveryMode::kAbsoluteConsistency,
        RecoveryMode::kPointInTime, RecoveryMode::kSkipDamaged}) {
    check_recovery(contents, number, mode, persist_offsets, first_damage);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view contents(reinterpret_cast<const char*>(data), size);
  wal::fuzzing::check_raw_and_with_fixed_crcs(contents, check_file);
  return 0;
}
