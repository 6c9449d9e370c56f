// Damage to a segmented-layout file under its final name: every truncation
// and every single-byte flip of a small segment and of a small snapshot, as
// corruption_test.cc does for the seed layout, under every recovery mode.
// Whatever the damage and the mode:
//  - a refusal is kCorruption naming the file and an offset, and leaves the
//    file exactly as it was, for an operator;
//  - what an open returns is only data that was written: every message
//    retrieved is one that was persisted, with its exact content, in order;
//  - no file disappears without a recovery report event naming it;
//  - less than everything comes back only with an event saying so, and the
//    log goes on after it.
// And as each mode promises (RecoveryMode in write_ahead_log.h):
//  - kTolerateTornTail returns everything, or a prefix when the end of the
//    log was cut off as a torn tail ("truncated"); any other damage refuses;
//  - kAbsoluteConsistency returns everything or refuses, a torn tail too;
//  - kPointInTime returns a prefix of the history, never refuses;
//  - kSkipDamaged keeps every record whose bytes the damage did not touch.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

#include "fault_injection_storage.h"
#include "segmented/coding.h"
#include "segmented/snapshot.h"
#include "segmented_test_util.h"

namespace wal::testing {
namespace {

constexpr const char* kClient = "c";
constexpr uint64_t kMessages = 3;

struct Counts {
  int cases = 0;
  int refused = 0;
  int intact = 0;
  int torn_tails = 0;  // a prefix, the end cut off and reported ("truncated")
  int cut_short = 0;   // less than everything for other damage, reported
};

// The damaged bytes of a file: [from, to).
struct Damage {
  uint64_t from = 0;
  uint64_t to = 0;
};

bool lenient(RecoveryMode mode) {
  return mode == RecoveryMode::kPointInTime || mode == RecoveryMode::kSkipDamaged;
}

const char* mode_label(RecoveryMode mode) {
  switch (mode) {
    case RecoveryMode::kTolerateTornTail:
      return "TolerateTornTail";
    case RecoveryMode::kAbsoluteConsistency:
      return "AbsoluteConsistency";
    case RecoveryMode::kPointInTime:
      return "PointInTime";
    case RecoveryMode::kSkipDamaged:
      return "SkipDamaged";
  }
  return "Unknown";
}

// The ids of the sentences in a consumer state's content, when the content
// is nothing but sentences; nullopt when it holds anything else.
std::optional<std::vector<uint64_t>> sentence_ids(const std::string& content) {
  static const std::regex pattern("Sentence ([0-9]+)\\.");
  std::vector<uint64_t> ids;
  std::string rebuilt;
  for (std::sregex_iterator it(content.begin(), content.end(), pattern), end; it != end; ++it) {
    ids.push_back(std::stoull((*it)[1].str()));
    rebuilt += (rebuilt.empty() ? "" : " ") + it->str();
  }
  if (rebuilt != content) return std::nullopt;
  return ids;
}

std::string sentences_of(const std::vector<uint64_t>& ids) {
  std::string text;
  for (uint64_t id : ids) text += (text.empty() ? "" : " ") + sentences(id, id);
  return text;
}

class SegmentedCorruptionTest : public ::testing::TestWithParam<RecoveryMode> {
 protected:
  RecoveryMode mode() const { return GetParam(); }

  WriteAheadLogOptions options(const fs::path& dir, uint64_t checkpoint_bytes,
                               RecoveryMode mode = RecoveryMode::kTolerateTornTail) const {
    WriteAheadLogOptions options = segmented_options_for(dir);
    options.segmented.segment_bytes = 4096;
    options.segmented.checkpoint_bytes = checkpoint_bytes;
    options.segmented.recovery_mode = mode;
    options.on_warning = [](const Status&) {};
    return options;
  }

  // Messages 1..kMessages for one client in one segment, no snapshot.
  void write_segment() {
    checkpoint_bytes_ = 1 << 20;
    persist_sentences(*open_log(options(pristine_.path(), checkpoint_bytes_)), kClient, 1,
                      kMessages);
  }

  // Messages 1..kMessages in a snapshot (the segments it covers retired),
  // then one more in the log after it.
  void write_snapshot() {
    checkpoint_bytes_ = 64;
    auto log = open_log(options(pristine_.path(), checkpoint_bytes_));
    persist_sentences(*log, kClient, 1, kMessages);
    log.reset();
    auto reopened = open_log(options(pristine_.path(), 1 << 20));
    persist_sentences(*reopened, kClient, kMessages + 1, kMessages + 1);
  }

  // A log of two segments: the first full and ended by its end frame.
  void write_rotated_segments() {
    checkpoint_bytes_ = 1 << 20;
    all_ = 90;
    persist_sentences(*open_log(options(pristine_.path(), checkpoint_bytes_)), kClient, 1, all_);
    ASSERT_GE(persist_frames(pristine_.path()).back().number, 2u);
  }

  // The last segment a recycled file: kClient's newest records, then stale
  // frames of its previous life, records of a client ("old") cleared since.
  // Returns the bytes from the start of its last record to the end of the
  // second stale frame: the boundary the sweeps damage. `stop_before`, when
  // set, stops before the message that rotates into the recycled segment.
  Damage write_recycled_segment(const fs::path& dir, uint64_t stop_before = 0) {
    checkpoint_bytes_ = 2048;
    auto log = open_log(options(dir, checkpoint_bytes_));
    persist_sentences(*log, "old", 1, 80);
    EXPECT_TRUE(log->clear("old").is_ok());
    for (uint64_t id = 1; id <= 600; ++id) {
      if (id == stop_before) return {};
      persist_sentences(*log, kClient, id, id);
      const FrameOnDisk last = persist_frames(dir).back();
      // Two new records at least, so that damage can reach the last one's
      // start, and after the snapshot's cut: what it holds, damage cannot lose.
      if (count_in(dir, last, snapshot_cut(dir)) < 2) continue;
      const std::string bytes = read_bytes(last.path);
      const std::optional<Damage> stale = stale_frames(bytes, last.number, last.offset + last.size);
      if (!stale) continue;
      all_ = id;
      if (rotation_id_ == 0) rotation_id_ = id + 1 - count_in(dir, last);
      return {last.offset, stale->to};
    }
    ADD_FAILURE() << "no recycled segment was written into";
    return {};
  }

  // Where the first two whole frames of a lower log number (a recycled
  // file's previous life) lie after `from`, if any.
  static std::optional<Damage> stale_frames(const std::string& bytes, uint64_t number,
                                            uint64_t from) {
    for (uint64_t at = from; at + segmented::kHeaderSize <= bytes.size(); ++at) {
      const uint64_t old = segmented::get_fixed64(bytes.data() + at + segmented::kLogNumberOffset);
      if (old == 0 || old >= number) continue;
      segmented::FrameReader reader(bytes, old, at, /*snapshot=*/false);
      segmented::Frame frame;
      std::string problem;
      if (reader.next(&frame, &problem) != segmented::FrameReader::Outcome::kFrame) continue;
      reader.next(&frame, &problem);
      return Damage{at, reader.position()};
    }
    return std::nullopt;
  }

  // How many of kClient's records `last`'s segment holds (at or after `from`).
  static uint64_t count_in(const fs::path& dir, const FrameOnDisk& last,
                           segmented::Position from = {}) {
    const auto frames = persist_frames(dir);
    return std::count_if(frames.begin(), frames.end(), [&](const FrameOnDisk& frame) {
      return frame.path == last.path && segmented::Position{frame.number, frame.offset} >= from;
    });
  }

  // The log position the newest snapshot in `dir` covers; the start without one.
  static segmented::Position snapshot_cut(const fs::path& dir) {
    const auto names = names_with_prefix(dir, "snapshot-");
    if (names.empty()) return {};
    FileSystemStorage storage;
    auto loaded = segmented::load_snapshot(storage, (dir / names.back()).string(),
                                           segmented::parse_file_name(names.back()).number);
    EXPECT_TRUE(loaded.is_ok()) << loaded.status().to_string();
    return loaded.is_ok() ? loaded->covered : segmented::Position{};
  }

  uint64_t expected_messages() const {
    if (all_) return all_;
    return names_with_prefix(pristine_.path(), "snapshot-").empty() ? kMessages : kMessages + 1;
  }

  // The ids of kClient's records whose bytes the damage did not touch: what
  // kSkipDamaged must keep.
  std::vector<uint64_t> untouched_ids(const std::string& name, const Damage& damage) const {
    std::vector<uint64_t> ids;
    for (const FrameOnDisk& frame : persist_frames(pristine_.path())) {
      const std::string bytes =
          read_bytes(frame.path)
              .substr(frame.offset + segmented::kHeaderSize, frame.size - segmented::kHeaderSize);
      segmented::PersistPayload payload;
      if (!segmented::decode_message(frame.type, bytes, &payload) || payload.client_id != kClient)
        continue;
      const bool touched = frame.path.filename() == name && frame.offset < damage.to &&
                           frame.offset + frame.size > damage.from;
      if (!touched) ids.push_back(payload.message_id);
    }
    return ids;
  }

  // Copies the pristine directory, replaces `name` with `bytes`, opens it in
  // the mode under test and checks what recovery made of it.
  void open_with_damage(const std::string& name, const std::string& bytes, const Damage& damage,
                        const std::string& what, Counts* counts) {
    ++counts->cases;
    TempDir copy{scratch_parent()};
    fs::copy(pristine_.path(), copy.path(), fs::copy_options::recursive);
    const fs::path damaged = copy.path() / name;
    write_bytes(damaged, bytes);
    const std::vector<std::string> files = list_names(copy.path());
    std::map<std::string, ino_t> inodes;
    for (const std::string& file : files) inodes[file] = inode_of(copy.path() / file);
    const WriteAheadLogOptions damaged_options = options(copy.path(), 1 << 20, mode());
    auto log = WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                                   std::make_shared<FileSystemStorage>(), damaged_options);
    if (!log.is_ok()) {
      ++counts->refused;
      EXPECT_EQ(log.status().code(), Code::kCorruption) << what << ": " << log.status().to_string();
      EXPECT_EQ(log.status().path(), damaged.string()) << what << ": " << log.status().to_string();
      EXPECT_TRUE(log.status().offset().has_value()) << what << ": " << log.status().to_string();
      EXPECT_EQ(read_bytes(damaged), bytes) << what << ": the damaged file must stay for repair";
      return;
    }
    const RecoveryReport& report = (*log)->recovery_report();
    std::set<ino_t> inodes_after;
    for (const std::string& file : list_names(copy.path())) {
      inodes_after.insert(inode_of(copy.path() / file));
    }
    for (const std::string& file : files) {
      if (fs::exists(copy.path() / file)) continue;
      // A free file taken as the next segment is renamed, not removed.
      if (file.starts_with("free-") && inodes_after.contains(inodes[file])) continue;
      EXPECT_TRUE(std::any_of(
          report.events.begin(), report.events.end(),
          [&](const auto& event) { return event.path == (copy.path() / file).string(); }))
          << what << ": " << file << " removed without a report";
    }
    auto clients = (*log)->clients();
    ASSERT_TRUE(clients.is_ok()) << what;
    for (const ClientSummary& client : *clients) {
      EXPECT_EQ(client.client_id, kClient) << what << ": a client that is not there came back";
    }
    const uint64_t all = expected_messages();
    const std::string content = content_of(**log, kClient);
    const std::optional<std::vector<uint64_t>> ids = sentence_ids(content);
    ASSERT_TRUE(ids) << what << ": other data returned as the state: " << content;
    EXPECT_TRUE(std::is_sorted(ids->begin(), ids->end()) &&
                std::adjacent_find(ids->begin(), ids->end()) == ids->end())
        << what << ": " << content;
    EXPECT_TRUE(ids->empty() || ids->back() <= all) << what << ": " << content;
    const uint64_t mark = mark_of(**log, kClient).value_or(0);
    EXPECT_EQ(mark, ids->empty() ? 0 : ids->back()) << what;
    if (ids->size() == all) {
      ++counts->intact;
      return;
    }

    // Less than everything.
    const bool prefix = content == (mark ? sentences(1, mark) : "");
    const bool torn_tail = reported_action(report, "truncated");
    EXPECT_NE(mode(), RecoveryMode::kAbsoluteConsistency) << what << ": messages lost, not refused";
    if (mode() != RecoveryMode::kSkipDamaged) {
      EXPECT_TRUE(prefix) << what << ": " << content;
    }
    if (mode() == RecoveryMode::kTolerateTornTail) {
      EXPECT_TRUE(report.torn_tail)
          << what << ": messages " << mark + 1 << ".." << all << " went missing without a report";
      EXPECT_TRUE(reported(report, damaged, "truncated")) << what;
    }
    if (mode() == RecoveryMode::kSkipDamaged) {
      for (uint64_t id : untouched_ids(name, damage)) {
        EXPECT_TRUE(std::find(ids->begin(), ids->end(), id) != ids->end())
            << what << ": message " << id << " checks out but is gone";
      }
    }
    EXPECT_TRUE(torn_tail || reported_action(report, "dropped") ||
                reported_action(report, "skipped"))
        << what << ": messages went missing without a report";
    ++(torn_tail ? counts->torn_tails : counts->cut_short);
    // What was cut stays cut, and the log goes on after it.
    EXPECT_EQ(*(*log)->persist(kClient, sentence(mark + 1), mark + 1), PersistOutcome::kWritten)
        << what;
    log = Status::failed("closed");
    auto again = open_log(damaged_options);
    ASSERT_TRUE(again) << what;
    if (torn_tail) {
      EXPECT_FALSE(again->recovery_report().torn_tail) << what;
    }
    std::vector<uint64_t> after = *ids;
    after.push_back(mark + 1);
    EXPECT_EQ(content_of(*again, kClient), sentences_of(after)) << what;
  }

  // The bytes of `name` the writer wrote: its frames, and room for one more header.
  uint64_t written_bytes(const std::string& name, bool snapshot) const {
    const std::string whole = read_bytes(pristine_.path() / name);
    const segmented::ParsedFileName parsed = segmented::parse_file_name(name);
    segmented::FrameReader reader(whole, parsed.number, 0, snapshot);
    segmented::Frame frame;
    std::string problem;
    while (reader.next(&frame, &problem) == segmented::FrameReader::Outcome::kFrame) {
    }
    return std::min<uint64_t>(whole.size(), reader.position() + segmented::kHeaderSize);
  }

  // The written bytes of `name`, unless `range` says which.
  Damage range_of(const std::string& name, bool snapshot, const Damage& range) const {
    return range.to ? range : Damage{0, written_bytes(name, snapshot)};
  }

  // Every `stride`th cut of the written bytes of `name` (or of `range`).
  Counts every_truncation(const std::string& name, bool snapshot, uint64_t stride = 1,
                          const Damage& range = {}) {
    Counts counts;
    const std::string whole = read_bytes(pristine_.path() / name);
    const Damage cuts = range_of(name, snapshot, range);
    for (uint64_t length = cuts.from; length < cuts.to; length += stride) {
      open_with_damage(name, whole.substr(0, length), {length, whole.size()},
                       name + " cut to " + std::to_string(length), &counts);
    }
    return counts;
  }

  // Every `stride`th byte of the written bytes of `name` (or of `range`)
  // flipped, with each mask.
  Counts every_byte_flip(const std::string& name, bool snapshot,
                         const std::vector<unsigned char>& masks = {0x01, 0x20, 0x80},
                         uint64_t stride = 1, const Damage& range = {}) {
    Counts counts;
    const std::string whole = read_bytes(pristine_.path() / name);
    const Damage flips = range_of(name, snapshot, range);
    for (uint64_t offset = flips.from; offset < flips.to; offset += stride) {
      for (unsigned char mask : masks) {
        std::string damaged = whole;
        damaged[offset] = static_cast<char>(damaged[offset] ^ mask);
        open_with_damage(name, damaged, {offset, offset + 1},
                         name + " byte " + std::to_string(offset) + " xor " + std::to_string(mask),
                         &counts);
      }
    }
    return counts;
  }

  // To keep the sweep of every mode short (about 12,000 cases in all), an
  // earlier segment is cut and flipped at every 11th byte (frames are not
  // multiples of 11 long, so every field of a frame is hit somewhere), and
  // only the default mode flips each byte of a segment with three masks.
  static constexpr uint64_t kEarlierSegmentStride = 11;
  std::vector<unsigned char> segment_masks() const {
    if (mode() == RecoveryMode::kTolerateTornTail) return {0x01, 0x20, 0x80};
    return {0x01};
  }

  std::string only_file(const std::string& prefix) const {
    const auto names = names_with_prefix(pristine_.path(), prefix);
    EXPECT_EQ(names.size(), 1u) << prefix;
    return names.empty() ? std::string() : names.front();
  }

  void print(const std::string& what, const Counts& counts) const {
    std::printf("%s, %s: %d cases: %d refused, %d intact, %d torn tails cut, %d cut short\n",
                mode_label(mode()), what.c_str(), counts.cases, counts.refused, counts.intact,
                counts.torn_tails, counts.cut_short);
  }

  // What every sweep expects of the mode: the strict ones refuse damage to
  // acknowledged data, the lenient ones never refuse.
  void expect_mode_promises(const Counts& counts) const {
    if (lenient(mode())) {
      EXPECT_EQ(counts.refused, 0);
    }
    if (mode() == RecoveryMode::kAbsoluteConsistency) {
      EXPECT_EQ(counts.torn_tails + counts.cut_short, 0);
    }
    if (mode() == RecoveryMode::kTolerateTornTail) {
      EXPECT_EQ(counts.cut_short, 0);
    }
  }

  TempDir pristine_{scratch_parent()};  // the sweeps sync thousands of copies
  uint64_t checkpoint_bytes_ = 0;
  uint64_t all_ = 0;          // messages written, when not kMessages
  uint64_t rotation_id_ = 0;  // the message that went first into the recycled segment
};

TEST_P(SegmentedCorruptionTest, EveryTruncationOfASegmentIsRefusedOrATornTail) {
  write_segment();
  const Counts counts = every_truncation(only_file("segment-"), /*snapshot=*/false);
  print("segment truncations", counts);
  expect_mode_promises(counts);
  if (mode() != RecoveryMode::kAbsoluteConsistency) {
    EXPECT_GT(counts.torn_tails, 0);
  }
}

TEST_P(SegmentedCorruptionTest, EveryByteFlipOfASegmentIsRefusedHarmlessOrATornTail) {
  write_segment();
  const Counts counts = every_byte_flip(only_file("segment-"), /*snapshot=*/false, segment_masks());
  print("segment byte flips", counts);
  expect_mode_promises(counts);
  EXPECT_GT(lenient(mode()) ? counts.cut_short : counts.refused, 0);
}

// A segment before the last one is never a torn tail: a crash cannot damage
// a segment that was synced before the next one was written.
TEST_P(SegmentedCorruptionTest, EveryTruncationOfASegmentBeforeTheLastIsRefusedOrHarmless) {
  write_rotated_segments();
  const Counts counts =
      every_truncation(segmented::segment_file_name(1), /*snapshot=*/false, kEarlierSegmentStride);
  print("earlier segment truncations", counts);
  expect_mode_promises(counts);
  EXPECT_EQ(counts.torn_tails, 0);
  // Only cuts into the room after its end frame are harmless: nothing there is read.
  EXPECT_LE(counts.intact, static_cast<int>(segmented::kHeaderSize));
}

TEST_P(SegmentedCorruptionTest, EveryByteFlipOfASegmentBeforeTheLastIsRefusedOrHarmless) {
  write_rotated_segments();
  const Counts counts = every_byte_flip(segmented::segment_file_name(1), /*snapshot=*/false, {0x01},
                                        kEarlierSegmentStride);
  print("earlier segment byte flips", counts);
  expect_mode_promises(counts);
  EXPECT_EQ(counts.torn_tails, 0);
  EXPECT_LE(counts.intact, static_cast<int>(segmented::kHeaderSize));
}

// A damaged snapshot is refused by the strict modes; the lenient ones ignore
// it (reported) and replay the log, which here still holds every record.
TEST_P(SegmentedCorruptionTest, EveryTruncationOfASnapshotIsRefusedOrIgnored) {
  write_snapshot();
  const Counts counts = every_truncation(only_file("snapshot-"), /*snapshot=*/true);
  print("snapshot truncations", counts);
  expect_mode_promises(counts);
  EXPECT_EQ(lenient(mode()) ? counts.intact : counts.refused, counts.cases);
}

TEST_P(SegmentedCorruptionTest, EveryByteFlipOfASnapshotIsRefusedOrIgnored) {
  write_snapshot();
  const Counts counts = every_byte_flip(only_file("snapshot-"), /*snapshot=*/true);
  print("snapshot byte flips", counts);
  expect_mode_promises(counts);
  EXPECT_EQ(lenient(mode()) ? counts.intact : counts.refused, counts.cases);
}

// A recycled segment's stale records, of a client cleared since, are never
// read as current data: not when the new records before them are cut or
// flipped, not when the stale ones are.
TEST_P(SegmentedCorruptionTest,
       DamageWhereARecycledSegmentsNewRecordsMeetItsStaleOnesIsNeverStaleData) {
  const Damage boundary = write_recycled_segment(pristine_.path());
  ASSERT_GT(boundary.to, 0u);
  const std::string name = persist_frames(pristine_.path()).back().path.filename().string();
  Counts counts = every_truncation(name, /*snapshot=*/false, 1, boundary);
  const Counts flips = every_byte_flip(name, /*snapshot=*/false, segment_masks(), 1, boundary);
  print("recycled segment truncations", counts);
  print("recycled segment byte flips", flips);
  expect_mode_promises(counts);
  expect_mode_promises(flips);
  if (mode() != RecoveryMode::kAbsoluteConsistency) {
    EXPECT_GT(counts.torn_tails, 0);
  }
}

// A crash at every storage call of the persist that rotates into a recycled
// segment, the rename that recycles it among them: the stale records stay
// stale, nothing acknowledged is lost, and writing goes on.
TEST_P(SegmentedCorruptionTest, CrashWhileRotatingIntoARecycledSegmentNeverReadsStaleRecords) {
  TempDir probe{scratch_parent()};
  ASSERT_GT(write_recycled_segment(probe.path()).to, 0u);
  const uint64_t rotation = rotation_id_;
  write_recycled_segment(pristine_.path(), /*stop_before=*/rotation);
  int crashes = 0;
  bool done = false;
  for (int calls = 0; !done && calls < 200; ++calls) {
    const std::string what = "crash after " + std::to_string(calls) + " calls";
    TempDir copy{scratch_parent()};
    fs::copy(pristine_.path(), copy.path(), fs::copy_options::recursive);
    {
      auto storage = std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
      auto log = open_log(options(copy.path(), checkpoint_bytes_), storage);
      ASSERT_TRUE(log) << what;
      storage->crash_after(calls);
      done = log->persist(kClient, sentence(rotation), rotation).is_ok();
      crashes += done ? 0 : 1;
    }
    auto log = WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                                   std::make_shared<FileSystemStorage>(),
                                   options(copy.path(), 1 << 20, mode()));
    if (!log.is_ok()) {
      // Only a torn write, and only the mode that refuses one.
      EXPECT_EQ(mode(), RecoveryMode::kAbsoluteConsistency) << what << log.status().to_string();
      EXPECT_EQ(log.status().code(), Code::kCorruption) << what;
      continue;
    }
    const uint64_t mark = mark_of(**log, kClient).value_or(0);
    EXPECT_TRUE(mark == rotation || (!done && mark == rotation - 1)) << what << ": " << mark;
    EXPECT_EQ(content_of(**log, kClient), sentences(1, mark)) << what;
    EXPECT_FALSE(mark_of(**log, "old").has_value()) << what << ": stale records came back";
    EXPECT_EQ(*(*log)->persist(kClient, sentence(mark + 1), mark + 1), PersistOutcome::kWritten)
        << what;
    log = Status::failed("closed");
    auto again = open_log(options(copy.path(), 1 << 20, mode()));
    ASSERT_TRUE(again) << what;
    EXPECT_EQ(content_of(*again, kClient), sentences(1, mark + 1)) << what;
    EXPECT_FALSE(mark_of(*again, "old").has_value()) << what;
  }
  EXPECT_TRUE(done);
  EXPECT_GT(crashes, 2);
  std::printf("%s, rotation into a recycled segment: %d crashes\n", mode_label(mode()), crashes);
}

INSTANTIATE_TEST_SUITE_P(EveryRecoveryMode, SegmentedCorruptionTest,
                         ::testing::Values(RecoveryMode::kTolerateTornTail,
                                           RecoveryMode::kAbsoluteConsistency,
                                           RecoveryMode::kPointInTime, RecoveryMode::kSkipDamaged),
                         [](const auto& info) { return std::string(mode_label(info.param)); });

}  // namespace
}  // namespace wal::testing
