// Damage to a seed-layout file under its final name: every truncation and
// every single-byte flip of a log and of a checkpoint. Whatever the damage,
// recovery either refuses the client with kCorruption naming the file, or
// returns exactly the state that was written: never other data, and no file
// is removed without a report.
#include <gtest/gtest.h>

#include "test_util.h"

namespace wal::testing {
namespace {

class CorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Threshold 3: ids 1-3 in a checkpoint, id 4 in a live log.
    auto log = open_log(options_for(pristine_.path()));
    persist_sentences(*log, kClient, 1, 4);
    expected_state_ = *log->retrieve(kClient);
  }

  fs::path pristine_client_dir() const { return pristine_.path() / kClient; }

  enum class Verdict { kRefused, kIntact, kRemovedAsInterrupted };

  // Copies the pristine directory, replaces `name` with `bytes`, reopens, and
  // says what recovery made of it. Fails the test on any other outcome.
  Verdict open_with_damage(const std::string& name, const std::string& bytes,
                           const std::string& what) {
    TempDir copy;
    fs::copy(pristine_.path(), copy.path(), fs::copy_options::recursive);
    const fs::path damaged = copy.path() / kClient / name;
    write_bytes(damaged, bytes);
    WriteAheadLogOptions options = options_for(copy.path());
    options.on_warning = [](const Status&) {};
    auto log = WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                                   std::make_shared<FileSystemStorage>(), options);
    EXPECT_TRUE(log.is_ok()) << what << ": " << log.status().to_string();
    if (!log.is_ok()) return Verdict::kRefused;
    auto state = (*log)->retrieve(kClient);
    if (!state.is_ok()) {
      EXPECT_EQ(state.status().code(), Code::kCorruption) << what;
      EXPECT_NE(state.status().to_string().find(name), std::string::npos)
          << what << ": " << state.status().to_string();
      EXPECT_EQ((*log)->persist(kClient, sentence(5), 5).status().code(), Code::kCorruption)
          << what << ": a damaged client must refuse writes";
      EXPECT_EQ(read_bytes(damaged), bytes) << what << ": the damaged file must stay for repair";
      return Verdict::kRefused;
    }
    if (reported((*log)->recovery_report(), damaged, "removed"))
      return Verdict::kRemovedAsInterrupted;
    EXPECT_EQ(*state, expected_state_) << what << ": other data returned as the state";
    EXPECT_EQ(mark_of(**log, kClient), 4u) << what;
    return Verdict::kIntact;
  }

  void check_every_truncation(const std::string& name) {
    const std::string whole = read_bytes(pristine_client_dir() / name);
    for (size_t length = 0; length < whole.size(); ++length) {
      const Verdict verdict = open_with_damage(name, whole.substr(0, length),
                                               name + " cut to " + std::to_string(length));
      if (verdict == Verdict::kRemovedAsInterrupted) {
        // Only what the original left mid-write looks like that: an empty file
        // or a cut status line (docs/format.md).
        EXPECT_LT(length, std::string("COMPLETED\n").size()) << name << " cut to " << length;
      }
    }
  }

  void check_every_byte_flip(const std::string& name) {
    const std::string whole = read_bytes(pristine_client_dir() / name);
    for (size_t offset = 0; offset < whole.size(); ++offset) {
      for (unsigned char mask : {0x01, 0x20, 0x80}) {
        std::string damaged = whole;
        damaged[offset] = static_cast<char>(damaged[offset] ^ mask);
        const std::string what =
            name + " byte " + std::to_string(offset) + " xor " + std::to_string(mask);
        EXPECT_NE(open_with_damage(name, damaged, what), Verdict::kRemovedAsInterrupted) << what;
      }
    }
  }

  static constexpr const char* kClient = "client";
  TempDir pristine_;
  Json expected_state_;
};

TEST_F(CorruptionTest, EveryTruncationOfALogIsRefusedOrReported) {
  check_every_truncation(only_file_with_prefix(pristine_client_dir(), "log_"));
}

TEST_F(CorruptionTest, EveryTruncationOfACheckpointIsRefusedOrReported) {
  check_every_truncation(only_file_with_prefix(pristine_client_dir(), "checkpoint_"));
}

TEST_F(CorruptionTest, EveryByteFlipOfALogIsRefusedOrHarmless) {
  check_every_byte_flip(only_file_with_prefix(pristine_client_dir(), "log_"));
}

TEST_F(CorruptionTest, EveryByteFlipOfACheckpointIsRefusedOrHarmless) {
  check_every_byte_flip(only_file_with_prefix(pristine_client_dir(), "checkpoint_"));
}

}  // namespace
}  // namespace wal::testing
