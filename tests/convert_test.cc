// walctl convert (tools/walctl/convert.h): every client's state and dedup
// mark carried exactly between the layouts, for every interpreter; the
// source never modified; damage, a non-empty target and a crash part-way
// handled.
#include <gtest/gtest.h>

#include <map>

#include "convert.h"
#include "fault_injection_storage.h"
#include "test_util.h"
#include "wal/state_interpreter_factory.h"

namespace wal::testing {
namespace {

using walctl::convert_data_dir;
using walctl::ConvertRequest;

std::shared_ptr<StateInterpreter> interpreter_named(const std::string& name) {
  auto interpreter = make_state_interpreter(name);
  EXPECT_TRUE(interpreter.is_ok()) << interpreter.status().to_string();
  return *interpreter;
}

// Every file below `dir` (but the lock file) and its bytes.
std::map<std::string, std::string> tree_of(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string name = fs::relative(entry.path(), dir).string();
    if (name == ".wal.lock") continue;
    files[name] = entry.is_regular_file() ? read_bytes(entry.path()) : std::string("<dir>");
  }
  return files;
}

// A message every interpreter accepts, different for each id.
Json message(uint64_t id) {
  return Json{{"content", "m" + std::to_string(id)}, {"k" + std::to_string(id % 3), id}};
}

class Convert : public ::testing::TestWithParam<std::string> {
 protected:
  fs::path path(const std::string& name) const { return dir_.path() / name; }

  std::unique_ptr<WriteAheadLog> open_dir(const fs::path& dir, Layout layout,
                                          std::shared_ptr<StateInterpreter> interpreter = nullptr) {
    WriteAheadLogOptions options =
        layout == Layout::kSeed ? options_for(dir, 3) : segmented_options_for(dir);
    auto log = WriteAheadLog::open(interpreter ? interpreter : interpreter_,
                                   std::make_shared<FileSystemStorage>(), options);
    EXPECT_TRUE(log.is_ok()) << log.status().to_string();
    return log.is_ok() ? std::move(log).value() : nullptr;
  }

  Result<walctl::LocalConvertSummary> convert(const fs::path& from, const fs::path& to,
                                              Layout layout = Layout::kAuto,
                                              std::shared_ptr<Storage> storage = nullptr) {
    if (!storage) storage = std::make_shared<FileSystemStorage>();
    lines_.clear();
    return convert_data_dir(storage, interpreter_,
                            ConvertRequest{from.string(), to.string(), layout},
                            [this](const Json& line) { lines_.push_back(line); });
  }

  // Three clients with checkpoints, logs after them, gaps, redeliveries and
  // id 0; a fourth cleared.
  void fill(WriteAheadLog& log) {
    for (uint64_t id : {1, 2, 3, 5, 8, 9, 10, 4, 11}) {
      ASSERT_TRUE(log.persist("alpha", message(id), id).is_ok());
    }
    ASSERT_TRUE(log.persist("beta", message(0), 0).is_ok());
    ASSERT_TRUE(log.persist("gamma \xc3\xa9", message(7), 7).is_ok());
    ASSERT_TRUE(log.persist("gamma \xc3\xa9", message(40), 40).is_ok());
    ASSERT_TRUE(log.persist("gone", message(1), 1).is_ok());
    ASSERT_TRUE(log.clear("gone").is_ok());
  }

  // Every client's state and mark.
  std::map<std::string, std::pair<Json, std::optional<uint64_t>>> contents(WriteAheadLog& log) {
    std::map<std::string, std::pair<Json, std::optional<uint64_t>>> out;
    auto clients = log.clients();
    EXPECT_TRUE(clients.is_ok());
    for (const ClientSummary& client : *clients) {
      if (!client.max_message_id) continue;
      auto state = log.retrieve(client.client_id);
      EXPECT_TRUE(state.is_ok()) << state.status().to_string();
      out[client.client_id] = {*state, client.max_message_id};
    }
    return out;
  }

  TempDir dir_;
  std::shared_ptr<StateInterpreter> interpreter_ = interpreter_named(GetParam());
  std::vector<Json> lines_;
};

TEST_P(Convert, SeedToSegmentedToSeedKeepsEveryStateAndMark) {
  const fs::path seed = path("seed"), segmented = path("segmented"), back = path("back");
  std::map<std::string, std::pair<Json, std::optional<uint64_t>>> expected;
  {
    auto log = open_dir(seed, Layout::kSeed);
    fill(*log);
    expected = contents(*log);
  }
  ASSERT_EQ(expected.size(), 3u);
  const auto source_files = tree_of(seed);

  auto there = convert(seed, segmented);
  ASSERT_TRUE(there.is_ok()) << there.status().to_string();
  EXPECT_EQ(there->source_layout, Layout::kSeed);
  EXPECT_EQ(there->target_layout, Layout::kSegmented);
  EXPECT_EQ(there->clients, 3u);
  EXPECT_TRUE(fs::exists(segmented / "LAYOUT"));
  EXPECT_EQ(tree_of(seed), source_files) << "the source was modified";
  ASSERT_EQ(lines_.size(), 4u);
  EXPECT_EQ(lines_.back()["clients"], 3);
  EXPECT_EQ(lines_.back()["checked"], true);

  auto back_again = convert(segmented, back);
  ASSERT_TRUE(back_again.is_ok()) << back_again.status().to_string();
  EXPECT_EQ(back_again->target_layout, Layout::kSeed);
  EXPECT_FALSE(fs::exists(back / "LAYOUT"));

  for (const auto& [dir, layout] :
       {std::pair{seed, Layout::kSeed}, std::pair{segmented, Layout::kSegmented},
        std::pair{back, Layout::kSeed}}) {
    auto log = open_dir(dir, layout);
    ASSERT_TRUE(log);
    EXPECT_EQ(contents(*log), expected) << dir;
    // A redelivered id is a duplicate; the next one is written and merges as
    // it does on the source.
    for (const auto& [client, state_and_mark] : expected) {
      const uint64_t mark = *state_and_mark.second;
      EXPECT_EQ(*log->persist(client, message(mark), mark), PersistOutcome::kDuplicate) << dir;
      EXPECT_EQ(*log->persist(client, message(mark + 1), mark + 1), PersistOutcome::kWritten)
          << dir;
    }
  }
  auto seed_log = open_dir(seed, Layout::kSeed);
  const auto after = contents(*seed_log);
  for (const auto& [dir, layout] :
       {std::pair{segmented, Layout::kSegmented}, std::pair{back, Layout::kSeed}}) {
    auto log = open_dir(dir, layout);
    EXPECT_EQ(contents(*log), after) << dir;
  }
}

TEST_P(Convert, SegmentedWithSnapshotsAndLogConvertsToSeed) {
  const fs::path segmented = path("segmented"), seed = path("seed");
  std::map<std::string, std::pair<Json, std::optional<uint64_t>>> expected;
  {
    auto log = open_dir(segmented, Layout::kSegmented);
    // Enough to rotate segments and take snapshots (64 KiB segments, 256 KiB cadence).
    const std::string padding(900, 'x');
    for (uint64_t id = 1; id <= 600; ++id) {
      Json data = message(id);
      data["pad"] = padding;
      ASSERT_TRUE(log->persist("c" + std::to_string(id % 7), data, id).is_ok());
    }
    expected = contents(*log);
  }
  EXPECT_FALSE(names_with_prefix(segmented, "snapshot-").empty());
  auto converted = convert(segmented, seed, Layout::kSeed);
  ASSERT_TRUE(converted.is_ok()) << converted.status().to_string();
  EXPECT_EQ(converted->clients, 7u);
  auto log = open_dir(seed, Layout::kSeed);
  EXPECT_EQ(contents(*log), expected);
}

TEST_P(Convert, SameLayoutCopyWorks) {
  const fs::path seed = path("seed"), copy = path("copy");
  std::map<std::string, std::pair<Json, std::optional<uint64_t>>> expected;
  {
    auto log = open_dir(seed, Layout::kSeed);
    fill(*log);
    expected = contents(*log);
  }
  auto converted = convert(seed, copy, Layout::kSeed);
  ASSERT_TRUE(converted.is_ok()) << converted.status().to_string();
  auto log = open_dir(copy, Layout::kSeed);
  EXPECT_EQ(contents(*log), expected);
}

INSTANTIATE_TEST_SUITE_P(EveryInterpreter, Convert,
                         ::testing::Values("consumer", "merge-patch", "list", "latest"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// ---- the consumer interpreter: the original's directories, refusals, crashes ----

class ConvertConsumer : public Convert {};

INSTANTIATE_TEST_SUITE_P(Consumer, ConvertConsumer, ::testing::Values("consumer"));

TEST_P(ConvertConsumer, DirectoryTheOriginalWroteConvertsWithStringIds) {
  const fs::path original = path("original"), segmented = path("segmented");
  // Ids as strings (the original before they became integers), a float, an
  // interrupted write, and a checkpoint without any id yet for an idle client.
  write_original_checkpoint(original / "default", "COMPLETED", "1795558512484",
                            "Sentence 1. Sentence 2. Sentence 3.", "\"3\"");
  write_bytes(original / "default" / "log_1795558512488_4.log",
              "COMPLETED\n"
              R"({"data": {"batch": 4, "content": "Sentence 4."}, )"
              R"("_metadata": {"timestamp": "1795558512488", "message_id": "4"}})");
  write_original_sentence_log(original / "default", "PROCESSING", "1795558512490", 5,
                              "Sentence 5.");
  write_bytes(original / "worker" / "log_1795558512491_9.log",
              "COMPLETED\n"
              R"({"data": {"batch": 9, "timestamp": 1795558512.4871166, "content": )"
              R"("Sentence 9."}, "_metadata": {"timestamp": "1795558512491", "message_id": 9}})");
  const auto source_files = tree_of(original);

  auto converted = convert(original, segmented);
  ASSERT_TRUE(converted.is_ok()) << converted.status().to_string();
  EXPECT_EQ(converted->clients, 2u);
  EXPECT_EQ(tree_of(original), source_files) << "the source was modified";

  auto log = open_dir(segmented, Layout::kSegmented);
  EXPECT_EQ(content_of(*log, "default"), sentences(1, 4));
  EXPECT_EQ(mark_of(*log, "default"), 4u);
  EXPECT_EQ(*log->persist("default", sentence(4), 4), PersistOutcome::kDuplicate);
  EXPECT_EQ(*log->persist("default", sentence(5), 5), PersistOutcome::kWritten);
  EXPECT_EQ(content_of(*log, "default"), sentences(1, 5));
  EXPECT_EQ(mark_of(*log, "worker"), 9u);
  auto worker = log->retrieve("worker");
  EXPECT_EQ((*worker)["timestamp"], 1795558512.4871166);
}

TEST_P(ConvertConsumer, NonEmptyTargetIsRefusedAndLeftAlone) {
  const fs::path seed = path("seed"), target = path("target");
  {
    auto log = open_dir(seed, Layout::kSeed);
    persist_sentences(*log, "c", 1, 2);
  }
  write_bytes(target / "keep.txt", "mine");
  auto converted = convert(seed, target);
  ASSERT_FALSE(converted.is_ok());
  EXPECT_EQ(converted.status().code(), Code::kInvalidArgument);
  EXPECT_NE(converted.status().message().find("not empty"), std::string::npos)
      << converted.status().to_string();
  EXPECT_EQ(list_names(target), std::vector<std::string>{"keep.txt"});
  EXPECT_FALSE(fs::exists(walctl::convert_temp_dir(target.string())));
}

TEST_P(ConvertConsumer, EmptyTargetDirectoryIsUsed) {
  const fs::path seed = path("seed"), target = path("target");
  {
    auto log = open_dir(seed, Layout::kSeed);
    persist_sentences(*log, "c", 1, 2);
  }
  fs::create_directories(target);
  auto converted = convert(seed, target);
  ASSERT_TRUE(converted.is_ok()) << converted.status().to_string();
  auto log = open_dir(target, Layout::kSegmented);
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 2));
}

TEST_P(ConvertConsumer, TargetInsideTheSourceIsRefused) {
  const fs::path seed = path("seed");
  {
    auto log = open_dir(seed, Layout::kSeed);
    persist_sentences(*log, "c", 1, 2);
  }
  auto converted = convert(seed, seed / "inner");
  EXPECT_EQ(converted.status().code(), Code::kInvalidArgument);
  auto same = convert(seed, seed);
  EXPECT_EQ(same.status().code(), Code::kInvalidArgument);
}

TEST_P(ConvertConsumer, DamagedSeedSourceIsRefusedNamingTheFile) {
  const fs::path seed = path("seed"), target = path("target");
  {
    auto log = open_dir(seed, Layout::kSeed);
    persist_sentences(*log, "good", 1, 2);
    persist_sentences(*log, "bad", 1, 2);
  }
  const auto logs = names_with_prefix(seed / "bad", "log_");
  ASSERT_FALSE(logs.empty());
  std::string bytes = read_bytes(seed / "bad" / logs.back());
  bytes[bytes.find("Sentence")] = 's';
  write_bytes(seed / "bad" / logs.back(), bytes);

  auto converted = convert(seed, target);
  ASSERT_FALSE(converted.is_ok());
  EXPECT_EQ(converted.status().code(), Code::kCorruption);
  EXPECT_NE(converted.status().to_string().find(logs.back()), std::string::npos)
      << converted.status().to_string();
  EXPECT_FALSE(fs::exists(target));
  EXPECT_FALSE(fs::exists(walctl::convert_temp_dir(target.string())));
}

TEST_P(ConvertConsumer, DamagedSegmentedSourceIsRefusedNamingTheFile) {
  const fs::path segmented = path("segmented"), target = path("target");
  {
    auto log = open_dir(segmented, Layout::kSegmented);
    persist_sentences(*log, "c", 1, 20);
  }
  const fs::path segment = segmented / "segment-00000000000000000001.log";
  std::string bytes = read_bytes(segment);
  const size_t at = bytes.find("Sentence 3.");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 's';
  write_bytes(segment, bytes);
  const auto source_files = tree_of(segmented);

  auto converted = convert(segmented, target);
  ASSERT_FALSE(converted.is_ok());
  EXPECT_EQ(converted.status().code(), Code::kCorruption);
  EXPECT_NE(converted.status().to_string().find("segment-00000000000000000001.log"),
            std::string::npos)
      << converted.status().to_string();
  EXPECT_FALSE(fs::exists(target));
  EXPECT_EQ(tree_of(segmented), source_files) << "the source was modified";
}

TEST_P(ConvertConsumer, SourceThatNeedsStartUpCleanUpIsRefusedUnchanged) {
  const fs::path segmented = path("segmented"), target = path("target");
  {
    auto log = open_dir(segmented, Layout::kSegmented);
    persist_sentences(*log, "c", 1, 3);
  }
  write_bytes(segmented / "snapshot-00000000000000000009.snap.tmp", "left by a crash");
  const auto source_files = tree_of(segmented);
  auto converted = convert(segmented, target);
  ASSERT_FALSE(converted.is_ok());
  EXPECT_EQ(converted.status().code(), Code::kInvalidArgument);
  EXPECT_NE(converted.status().message().find("never modifies its source"), std::string::npos)
      << converted.status().to_string();
  EXPECT_EQ(tree_of(segmented), source_files);
  EXPECT_FALSE(fs::exists(target));
}

TEST_P(ConvertConsumer, EmptySourceIsRefused) {
  fs::create_directories(path("empty"));
  auto converted = convert(path("empty"), path("target"));
  EXPECT_EQ(converted.status().code(), Code::kInvalidArgument);
  auto missing = convert(path("missing"), path("target"));
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

// A crash at every storage call: the target is absent (or the empty
// directory it was) until the checked conversion is renamed into place, and
// a rerun completes it.
TEST_P(ConvertConsumer, InterruptedConvertNeverLeavesATargetThatLooksComplete) {
  for (Layout to : {Layout::kSegmented, Layout::kSeed}) {
    const fs::path source = path(to == Layout::kSeed ? "from-segmented" : "from-seed");
    const fs::path target = path(std::string("to-") + layout_name(to));
    std::map<std::string, std::pair<Json, std::optional<uint64_t>>> expected;
    {
      auto log = open_dir(source, to == Layout::kSeed ? Layout::kSegmented : Layout::kSeed);
      fill(*log);
      expected = contents(*log);
    }
    bool done = false;
    int crashes = 0;
    for (int calls = 0; !done && calls < 1000; ++calls) {
      auto storage = std::make_shared<FaultInjectionStorage>(std::make_shared<FileSystemStorage>());
      storage->crash_after(calls);
      auto converted = convert(source, target, to, storage);
      done = converted.is_ok();
      if (!done) ++crashes;
      if (fs::exists(target)) {
        // Only ever the whole, checked conversion.
        auto log = open_dir(target, to);
        ASSERT_TRUE(log) << "crash after " << calls << " calls";
        EXPECT_EQ(contents(*log), expected) << "crash after " << calls << " calls";
        if (!done) {
          // Renamed into place; only the final checks were cut short.
          log.reset();
          fs::remove_all(target);
        }
      }
    }
    ASSERT_TRUE(done);
    EXPECT_GT(crashes, 10);
    EXPECT_FALSE(fs::exists(walctl::convert_temp_dir(target.string())));
    auto log = open_dir(target, to);
    EXPECT_EQ(contents(*log), expected);
  }
}

}  // namespace
}  // namespace wal::testing
