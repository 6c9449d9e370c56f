// Damage to a segmented-layout file under its final name: every truncation
// and every single-byte flip of a small segment and of a small snapshot, as
// corruption_test.cc does for the seed layout. Whatever the damage, opening
// the directory (default recovery mode) either
//  - refuses with kCorruption naming the file and an offset, and leaves the
//    file exactly as it was, for an operator; or
//  - returns exactly the state that was written; or
//  - returns a prefix of it, only when the end of the log was cut off as a
//    torn tail, and says so in the recovery report ("truncated"); the cut is
//    for good and writing goes on after it.
// Never other data, and no file disappears.
#include <gtest/gtest.h>

#include "segmented_test_util.h"

namespace wal::testing {
namespace {

constexpr const char* kClient = "c";
constexpr uint64_t kMessages = 3;

struct Counts {
  int cases = 0;
  int refused = 0;
  int intact = 0;
  int torn_tails = 0;
};

class SegmentedCorruptionTest : public ::testing::Test {
 protected:
  static WriteAheadLogOptions options(const fs::path& dir, uint64_t checkpoint_bytes) {
    WriteAheadLogOptions options = segmented_options_for(dir);
    options.segmented.segment_bytes = 4096;
    options.segmented.checkpoint_bytes = checkpoint_bytes;
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
    all_ = 60;
    persist_sentences(*open_log(options(pristine_.path(), checkpoint_bytes_)), kClient, 1, all_);
    ASSERT_GE(persist_frames(pristine_.path()).back().number, 2u);
  }

  uint64_t expected_messages() const {
    if (all_) return all_;
    return names_with_prefix(pristine_.path(), "snapshot-").empty() ? kMessages : kMessages + 1;
  }

  // Copies the pristine directory, replaces `name` with `bytes`, reopens and
  // checks what recovery made of it against the promises above.
  void open_with_damage(const std::string& name, const std::string& bytes, const std::string& what,
                        Counts* counts) {
    ++counts->cases;
    TempDir copy;
    fs::copy(pristine_.path(), copy.path(), fs::copy_options::recursive);
    const fs::path damaged = copy.path() / name;
    write_bytes(damaged, bytes);
    const WriteAheadLogOptions damaged_options = options(copy.path(), 1 << 20);
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
    ASSERT_TRUE(fs::exists(damaged)) << what << ": removed";
    const uint64_t all = expected_messages();
    const uint64_t mark = mark_of(**log, kClient).value_or(0);
    EXPECT_LE(mark, all) << what;
    EXPECT_EQ(content_of(**log, kClient), mark ? sentences(1, mark) : "")
        << what << ": other data returned as the state";
    if (mark == all) {
      ++counts->intact;
      return;
    }
    // Less than everything: only a torn tail, cut and reported, may do that.
    ++counts->torn_tails;
    const RecoveryReport& report = (*log)->recovery_report();
    EXPECT_TRUE(report.torn_tail) << what << ": messages " << mark + 1 << ".." << all
                                  << " went missing without a report";
    EXPECT_TRUE(reported(report, damaged, "truncated")) << what;
    // The cut is for good, and the log goes on after it.
    EXPECT_EQ(*(*log)->persist(kClient, sentence(mark + 1), mark + 1), PersistOutcome::kWritten)
        << what;
    log = Status::failed("closed");
    auto again = open_log(damaged_options);
    EXPECT_FALSE(again->recovery_report().torn_tail) << what;
    EXPECT_EQ(content_of(*again, kClient), sentences(1, mark + 1)) << what;
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

  Counts every_truncation(const std::string& name, bool snapshot) {
    Counts counts;
    const std::string whole = read_bytes(pristine_.path() / name);
    const uint64_t written = written_bytes(name, snapshot);
    for (uint64_t length = 0; length < written; ++length) {
      open_with_damage(name, whole.substr(0, length), name + " cut to " + std::to_string(length),
                       &counts);
    }
    return counts;
  }

  Counts every_byte_flip(const std::string& name, bool snapshot,
                         std::initializer_list<unsigned char> masks = {0x01, 0x20, 0x80}) {
    Counts counts;
    const std::string whole = read_bytes(pristine_.path() / name);
    const uint64_t written = written_bytes(name, snapshot);
    for (uint64_t offset = 0; offset < written; ++offset) {
      for (unsigned char mask : masks) {
        std::string damaged = whole;
        damaged[offset] = static_cast<char>(damaged[offset] ^ mask);
        open_with_damage(name, damaged,
                         name + " byte " + std::to_string(offset) + " xor " + std::to_string(mask),
                         &counts);
      }
    }
    return counts;
  }

  std::string only_file(const std::string& prefix) const {
    const auto names = names_with_prefix(pristine_.path(), prefix);
    EXPECT_EQ(names.size(), 1u) << prefix;
    return names.empty() ? std::string() : names.front();
  }

  static void print(const std::string& what, const Counts& counts) {
    std::printf("%s: %d cases: %d refused, %d intact, %d torn tails cut and reported\n",
                what.c_str(), counts.cases, counts.refused, counts.intact, counts.torn_tails);
  }

  TempDir pristine_;
  uint64_t checkpoint_bytes_ = 0;
  uint64_t all_ = 0;  // messages written, when not kMessages
};

TEST_F(SegmentedCorruptionTest, EveryTruncationOfASegmentIsRefusedOrATornTail) {
  write_segment();
  const Counts counts = every_truncation(only_file("segment-"), /*snapshot=*/false);
  print("segment truncations", counts);
  EXPECT_GT(counts.torn_tails, 0);
}

TEST_F(SegmentedCorruptionTest, EveryByteFlipOfASegmentIsRefusedHarmlessOrATornTail) {
  write_segment();
  const Counts counts = every_byte_flip(only_file("segment-"), /*snapshot=*/false);
  print("segment byte flips", counts);
  EXPECT_GT(counts.refused, 0);
  EXPECT_GT(counts.torn_tails, 0);
}

// A segment before the last one is never a torn tail: a crash cannot damage
// a segment that was synced before the next one was written.
TEST_F(SegmentedCorruptionTest, EveryTruncationOfASegmentBeforeTheLastIsRefusedOrHarmless) {
  write_rotated_segments();
  const Counts counts = every_truncation(segmented::segment_file_name(1), /*snapshot=*/false);
  print("earlier segment truncations", counts);
  // Only cuts into the room after its end frame are harmless: nothing there is read.
  EXPECT_EQ(counts.torn_tails, 0);
  EXPECT_LE(counts.intact, static_cast<int>(segmented::kHeaderSize));
}

TEST_F(SegmentedCorruptionTest, EveryByteFlipOfASegmentBeforeTheLastIsRefusedOrHarmless) {
  write_rotated_segments();
  const Counts counts =
      every_byte_flip(segmented::segment_file_name(1), /*snapshot=*/false, {0x01});
  print("earlier segment byte flips", counts);
  EXPECT_EQ(counts.torn_tails, 0);
  EXPECT_LE(counts.intact, static_cast<int>(segmented::kHeaderSize));
}

TEST_F(SegmentedCorruptionTest, EveryTruncationOfASnapshotIsRefused) {
  write_snapshot();
  const Counts counts = every_truncation(only_file("snapshot-"), /*snapshot=*/true);
  print("snapshot truncations", counts);
  EXPECT_EQ(counts.refused, counts.cases);
}

TEST_F(SegmentedCorruptionTest, EveryByteFlipOfASnapshotIsRefused) {
  write_snapshot();
  const Counts counts = every_byte_flip(only_file("snapshot-"), /*snapshot=*/true);
  print("snapshot byte flips", counts);
  EXPECT_EQ(counts.refused, counts.cases);
}

}  // namespace
}  // namespace wal::testing
