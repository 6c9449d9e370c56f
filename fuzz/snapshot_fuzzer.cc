// The segmented layout's snapshot reader: any bytes as a snapshot file,
// numbered by the log number of its first header (1 when that is 0).
// Properties:
//  - loading never crashes; a refusal is kCorruption naming the file and an
//    offset inside it;
//  - a snapshot that loads is exactly what the real SnapshotWriter writes for
//    the clients it holds: it re-encodes to the same bytes;
//  - each client entry points at a whole client frame (what retrieve reads);
//  - recovery of a directory holding the file fails with kCorruption naming
//    the file in the strict modes when the snapshot does not load, and in the
//    lenient ones ignores it and leaves it in place (never removed silently).
// Each input is checked as it is and with every CRC made to match
// (fix_crcs.h), so that mutations get past the checksum.

#include <cstdint>
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
#include "segmented/recovery.h"
#include "segmented/snapshot.h"

namespace {

using namespace wal;
using namespace wal::segmented;

constexpr const char* kDir = "/d";

void check_file(std::string_view contents) {
  const size_t size = contents.size();
  const uint64_t number = fuzzing::claimed_file_number(contents);
  const std::string path = std::string(kDir) + "/" + snapshot_file_name(number);
  fuzzing::MemoryStorage storage;
  storage.files()[path] = std::string(contents);

  auto loaded = load_snapshot(storage, path, number);
  if (!loaded.is_ok()) {
    FUZZ_CHECK(loaded.status().code() == Code::kCorruption);
    FUZZ_CHECK(loaded.status().path() == path);
    FUZZ_CHECK(loaded.status().offset().has_value());
    FUZZ_CHECK(*loaded.status().offset() <= size);
  } else {
    FUZZ_CHECK(loaded->bytes == size);
    auto file = storage.open_positional_file(path, false);
    FUZZ_CHECK(file.is_ok());
    // Write the same clients with the real writer, in another directory.
    fuzzing::MemoryStorage rewritten;
    auto writer = SnapshotWriter::create(rewritten, kDir, number, loaded->covered);
    FUZZ_CHECK(writer.is_ok());
    for (const SnapshotEntry& entry : loaded->clients) {
      Frame frame;
      auto bytes = read_frame_at(**file, path, number, entry.offset, entry.size,
                                 /*snapshot=*/true, &frame);
      FUZZ_CHECK(bytes.is_ok());
      FUZZ_CHECK(frame.type == RecordType::kSnapshotClient);
      SnapshotClientPayload client;
      FUZZ_CHECK(decode_snapshot_client(frame.payload, &client));
      FUZZ_CHECK(client.client_id == entry.client_id);
      FUZZ_CHECK(client.max_message_id == entry.max_message_id);
      auto added = (*writer)->add_client(client.client_id, client.max_message_id, client.json);
      FUZZ_CHECK(added.is_ok());
      FUZZ_CHECK(added->offset == entry.offset && added->size == entry.size);
    }
    FUZZ_CHECK((*writer)->finish().is_ok());
    FUZZ_CHECK(rewritten.files().at(path) == contents);
  }

  // Recovery of a directory holding only this snapshot.
  for (const RecoveryMode mode :
       {RecoveryMode::kTolerateTornTail, RecoveryMode::kAbsoluteConsistency,
        RecoveryMode::kPointInTime, RecoveryMode::kSkipDamaged}) {
    fuzzing::MemoryStorage directory;
    directory.files()[path] = std::string(contents);
    RecoveryReport report;
    auto recovered = recover(directory, kDir, mode, &report);
    FUZZ_CHECK(directory.files().contains(path));
    FUZZ_CHECK(directory.files().at(path) == contents);
    if (parse_file_name(snapshot_file_name(number)).kind != FileKind::kSnapshot) {
      // A number no file of ours carries (2^64-1): a foreign file, left alone.
      FUZZ_CHECK(recovered.is_ok());
      FUZZ_CHECK(!recovered->snapshot);
      bool ignored = false;
      for (const auto& event : report.events) {
        ignored |= event.path == path && event.action == "ignored";
      }
      FUZZ_CHECK(ignored);
      continue;
    }
    if (!recovered.is_ok()) {
      FUZZ_CHECK(recovered.status().code() == Code::kCorruption);
      FUZZ_CHECK(recovered.status().path().starts_with(kDir));
      continue;
    }
    if (!loaded.is_ok()) {
      const bool strict =
          mode == RecoveryMode::kTolerateTornTail || mode == RecoveryMode::kAbsoluteConsistency;
      FUZZ_CHECK(!strict);
      FUZZ_CHECK(!recovered->snapshot);
      FUZZ_CHECK(recovered->clients.empty());
      bool ignored = false;
      for (const auto& event : report.events)
        ignored |= event.path == path && event.action == "ignored";
      FUZZ_CHECK(ignored);
    } else {
      FUZZ_CHECK(recovered->snapshot.has_value());
      FUZZ_CHECK(recovered->clients.size() <= loaded->clients.size());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view contents(reinterpret_cast<const char*>(data), size);
  wal::fuzzing::check_raw_and_with_fixed_crcs(contents, check_file);
  return 0;
}
