// `walctl repair` of a segmented-layout directory (tools/walctl/segmented_repair.h):
// after it the default open works, every record that checks out is there
// (the states a kSkipDamaged open returns), the damaged files' original bytes
// are in .quarantine/, the report names the affected clients and ids, and a
// crash at any storage call loses nothing that checks out.
#include <gtest/gtest.h>

#include <map>

#include "fault_injection_storage.h"
#include "segmented_repair.h"
#include "segmented_test_util.h"

namespace wal::testing {
namespace {

using States = std::map<std::string, std::pair<Json, std::optional<uint64_t>>>;

constexpr uint64_t kMessages = 150;  // over clients a and b: several 4 KiB segments

class SegmentedRepairTest : public ::testing::Test {
 protected:
  fs::path dir() const { return dir_.path() / "data"; }
  fs::path quarantine() const { return dir() / ".quarantine"; }

  WriteAheadLogOptions options(RecoveryMode mode, const fs::path& at = {}) const {
    WriteAheadLogOptions options = segmented_options_for(at.empty() ? dir() : at);
    options.segmented.segment_bytes = 4096;
    options.segmented.checkpoint_bytes = checkpoint_bytes_;
    options.segmented.recovery_mode = mode;
    options.on_warning = [](const Status&) {};
    return options;
  }

  // Messages 1..kMessages, odd ids to client a, even ids to client b.
  void write(uint64_t checkpoint_bytes = 1 << 20) {
    checkpoint_bytes_ = checkpoint_bytes;
    auto log = open_log(options(RecoveryMode::kTolerateTornTail));
    ASSERT_TRUE(log);
    for (uint64_t id = 1; id <= kMessages; ++id) {
      ASSERT_TRUE(log->persist(id % 2 ? "a" : "b", sentence(id), id).is_ok());
    }
  }

  // Every client's state and mark as an open in `mode` returns them; an
  // error status when the open refuses the directory.
  Result<States> states(RecoveryMode mode, const fs::path& at = {}) const {
    auto log = WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(),
                                   std::make_shared<FileSystemStorage>(), options(mode, at));
    if (!log.is_ok()) return log.status();
    States out;
    WAL_ASSIGN_OR_RETURN(std::vector<ClientSummary> clients, (*log)->clients());
    for (const ClientSummary& client : clients) {
      WAL_ASSIGN_OR_RETURN(Json state, (*log)->retrieve(client.client_id));
      out[client.client_id] = {state, client.max_message_id};
    }
    return out;
  }

  // What a kSkipDamaged open returns, read from a copy so the original stays.
  States skip_damaged_states() const {
    TempDir copy;
    fs::copy(dir(), copy.path(), fs::copy_options::recursive);
    auto out = states(RecoveryMode::kSkipDamaged, copy.path());
    EXPECT_TRUE(out.is_ok()) << out.status().to_string();
    return out.is_ok() ? *out : States{};
  }

  Result<size_t> repair(bool dry_run = false, std::shared_ptr<Storage> storage = nullptr) {
    if (!storage) storage = std::make_shared<FileSystemStorage>();
    lines_.clear();
    return walctl::repair_segmented_dir(storage, std::make_shared<ConsumerStateInterpreter>(),
                                        dir().string(), dry_run,
                                        [this](const Json& line) { lines_.push_back(line); });
  }

  // Flips a byte in the JSON of message `id`'s record (its header still
  // reads); returns the segment holding it.
  fs::path damage_record(uint64_t id) {
    for (const FrameOnDisk& frame : persist_frames(dir())) {
      const std::string payload =
          read_bytes(frame.path)
              .substr(frame.offset + segmented::kHeaderSize, frame.size - segmented::kHeaderSize);
      segmented::PersistPayload persist;
      if (!segmented::decode_message(frame.type, payload, &persist) || persist.message_id != id)
        continue;
      flip_byte(frame.path, frame.offset + frame.size - 3);
      return frame.path;
    }
    ADD_FAILURE() << "no record of message " << id << " on disk";
    return dir() / "none";
  }

  static bool holds(const States& states, const std::string& client, uint64_t id) {
    const std::string content = states.at(client).first.value("content", std::string());
    return content.find("Sentence " + std::to_string(id) + ".") != std::string::npos;
  }

  // Every file below the directory, by relative path.
  std::map<std::string, std::string> all_bytes() const {
    std::map<std::string, std::string> out;
    for (const auto& entry : fs::recursive_directory_iterator(dir())) {
      if (entry.is_regular_file()) {
        out[fs::relative(entry.path(), dir()).string()] = read_bytes(entry.path());
      }
    }
    return out;
  }

  bool reported_record(const std::string& client, uint64_t id) const {
    for (const Json& line : lines_) {
      if (!line.contains("affected") || !line["affected"].is_object()) continue;
      for (const Json& record : line["affected"]["records"]) {
        if (record.value("client", "") == client && record.value("message_id", 0u) == id) {
          return true;
        }
      }
    }
    return false;
  }

  // The default open works and returns `expected`.
  void expect_repaired(const States& expected) const {
    auto now = states(RecoveryMode::kTolerateTornTail);
    ASSERT_TRUE(now.is_ok()) << now.status().to_string();
    EXPECT_EQ(*now, expected);
  }

  TempDir dir_;
  uint64_t checkpoint_bytes_ = 1 << 20;
  std::vector<Json> lines_;
};

TEST_F(SegmentedRepairTest, DamageInTheMiddleIsSetAsideAndEveryRecordThatChecksOutStays) {
  write();
  const fs::path segment = damage_record(7);
  const std::string damaged = read_bytes(segment);
  ASSERT_EQ(states(RecoveryMode::kTolerateTornTail).status().code(), Code::kCorruption);
  const States expected = skip_damaged_states();
  ASSERT_FALSE(holds(expected, "a", 7));
  ASSERT_TRUE(holds(expected, "a", 5) && holds(expected, "a", 9));

  auto kept = repair();
  ASSERT_TRUE(kept.is_ok()) << kept.status().to_string();
  EXPECT_EQ(*kept, 1u);
  expect_repaired(expected);
  EXPECT_EQ(read_bytes(quarantine() / segment.filename()), damaged);
  EXPECT_TRUE(reported_record("a", 7)) << ::testing::PrintToString(lines_);
  EXPECT_EQ(lines_.back()["affected_clients"], Json::array({"a"}));
  EXPECT_EQ(lines_.back()["opens_by_default"], true);
  EXPECT_FALSE(fs::exists(segment)) << "retired by the repair's snapshot";
}

TEST_F(SegmentedRepairTest, QuarantineIsNotReportedAsAForeignFileAtOpen) {
  write();
  damage_record(7);
  ASSERT_TRUE(repair().is_ok());
  ASSERT_TRUE(fs::is_directory(quarantine()));
  auto log = open_log(options(RecoveryMode::kTolerateTornTail));
  ASSERT_TRUE(log);
  EXPECT_FALSE(reported(log->recovery_report(), quarantine(), "ignored"));
  EXPECT_TRUE(log->recovery_report().events.empty())
      << ::testing::PrintToString(log->recovery_report().events.size());
}

TEST_F(SegmentedRepairTest, DamagedSnapshotIsSetAsideAndReplacedByOneThatReads) {
  write(/*checkpoint_bytes=*/2048);
  const std::string name = only_file_with_prefix(dir(), "snapshot-");
  flip_byte(dir() / name, 40);
  const std::string damaged = read_bytes(dir() / name);
  ASSERT_EQ(states(RecoveryMode::kTolerateTornTail).status().code(), Code::kCorruption);
  const States expected = skip_damaged_states();

  auto kept = repair();
  ASSERT_TRUE(kept.is_ok()) << kept.status().to_string();
  EXPECT_EQ(*kept, 1u);
  expect_repaired(expected);
  EXPECT_EQ(read_bytes(quarantine() / name), damaged);
  EXPECT_FALSE(fs::exists(dir() / name));
  EXPECT_TRUE(lines_.back()["snapshot"].is_string());
}

TEST_F(SegmentedRepairTest, TornTailIsCutAndItsBytesKept) {
  write();
  const FrameOnDisk last = persist_frames(dir()).back();
  flip_byte(last.path, last.offset + last.size - 3);
  const std::string torn = read_bytes(last.path);
  const States expected = skip_damaged_states();
  ASSERT_EQ(expected.at("b").second, kMessages - 2) << "the torn tail was message 150";

  auto kept = repair();
  ASSERT_TRUE(kept.is_ok()) << kept.status().to_string();
  expect_repaired(expected);
  EXPECT_EQ(read_bytes(quarantine() / last.path.filename()), torn);
  EXPECT_TRUE(reported_record("b", kMessages));
  EXPECT_NE(lines_.front()["problem"].get<std::string>().find("torn tail"), std::string::npos);
}

TEST_F(SegmentedRepairTest, MissingSegmentIsReportedAndTheRestKept) {
  write();
  const fs::path second = dir() / segmented::segment_file_name(2);
  ASSERT_TRUE(fs::exists(dir() / segmented::segment_file_name(3)));
  fs::remove(second);
  const States expected = skip_damaged_states();

  auto kept = repair();
  ASSERT_TRUE(kept.is_ok()) << kept.status().to_string();
  EXPECT_EQ(*kept, 0u) << "nothing to keep of a missing file";
  expect_repaired(expected);
  EXPECT_TRUE(lines_.front()["affected"].is_string()) << lines_.front();
}

TEST_F(SegmentedRepairTest, DryRunSaysWhatWouldBeDoneAndChangesNothing) {
  write();
  damage_record(7);
  const auto before = all_bytes();
  auto kept = repair(/*dry_run=*/true);
  ASSERT_TRUE(kept.is_ok()) << kept.status().to_string();
  EXPECT_EQ(*kept, 1u);
  EXPECT_EQ(lines_.back()["files_that_would_be_set_aside"], 1);
  EXPECT_TRUE(reported_record("a", 7));
  EXPECT_EQ(all_bytes(), before);
}

TEST_F(SegmentedRepairTest, HealthyDirectoryIsLeftAsItIs) {
  write();
  const auto before = all_bytes();
  auto kept = repair();
  ASSERT_TRUE(kept.is_ok()) << kept.status().to_string();
  EXPECT_EQ(*kept, 0u);
  EXPECT_EQ(lines_.back()["note"], "nothing to repair");
  EXPECT_EQ(all_bytes(), before);
}

TEST_F(SegmentedRepairTest, DirectoryInUseIsRefused) {
  write();
  damage_record(7);
  auto log = open_log(options(RecoveryMode::kSkipDamaged));
  ASSERT_TRUE(log);
  auto kept = repair();
  ASSERT_FALSE(kept.is_ok());
  EXPECT_NE(kept.status().to_string().find("stop the service"), std::string::npos);
}

// A crash after every storage call of repair: the directory is as before
// (the default open refuses it) or repaired, nothing that checks out is
// lost, the damaged bytes are kept, and a rerun completes the repair.
TEST_F(SegmentedRepairTest, CrashAtEveryCallOfRepairLosesNothingThatChecksOut) {
  write(/*checkpoint_bytes=*/2048);
  const fs::path segment = damage_record(kMessages - 6);
  ASSERT_EQ(states(RecoveryMode::kTolerateTornTail).status().code(), Code::kCorruption);
  const FrameOnDisk last = persist_frames(dir()).back();
  flip_byte(last.path, last.offset + last.size - 3);  // and a torn tail
  const std::string damaged = read_bytes(segment);
  const States expected = skip_damaged_states();
  TempDir pristine;
  fs::copy(dir(), pristine.path(), fs::copy_options::recursive);

  int crashes = 0;
  bool done = false;
  for (int calls = 0; !done && calls < 2000; ++calls) {
    fs::remove_all(dir());
    fs::copy(pristine.path(), dir(), fs::copy_options::recursive);
    auto storage = std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
    storage->crash_after(calls);
    done = repair(false, storage).is_ok();
    crashes += done ? 0 : 1;
    const std::string at = "crash after " + std::to_string(calls) + " calls";
    auto now = states(RecoveryMode::kTolerateTornTail);
    if (now.is_ok()) {
      EXPECT_EQ(*now, expected) << at;
    } else {
      EXPECT_EQ(now.status().code(), Code::kCorruption) << at << ": " << now.status().to_string();
    }
    auto rerun = repair();
    ASSERT_TRUE(rerun.is_ok()) << at << ": " << rerun.status().to_string();
    expect_repaired(expected);
    EXPECT_EQ(read_bytes(quarantine() / segment.filename()), damaged) << at;
  }
  EXPECT_TRUE(done);
  EXPECT_GT(crashes, 10);
  std::printf("repair: %d crashes, each followed by a check and a rerun\n", crashes);
}

}  // namespace
}  // namespace wal::testing
