// Helpers shared by the tests: temporary directories, exact file contents,
// and opening a WriteAheadLog on them.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "util/crc32c.h"
#include "wal/wal.h"

namespace wal::testing {

namespace fs = std::filesystem;

// tmpfs when there is one, else $TMPDIR: for tests that sync thousands of
// files and check what is read back, not what survives a power cut.
inline fs::path scratch_parent() {
  return fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
}

// A fresh directory under $TMPDIR (or `parent`), removed with the object.
class TempDir {
 public:
  explicit TempDir(const fs::path& parent = fs::temp_directory_path()) {
    std::string pattern = (parent / "wal-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

inline std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_bytes(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// The names in a directory, sorted.
inline std::vector<std::string> list_names(const fs::path& dir) {
  std::vector<std::string> names;
  if (!fs::exists(dir)) return names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// A .tmp file: a write in progress, or a spare waiting to be written over.
inline bool is_temp_name(const std::string& name) { return name.ends_with(".tmp"); }

// The names in a directory that a reader reads, sorted: not the .tmp files.
inline std::vector<std::string> record_names(const fs::path& dir) {
  std::vector<std::string> names = list_names(dir);
  std::erase_if(names, is_temp_name);
  return names;
}

// The .tmp files in a directory, sorted.
inline std::vector<std::string> temp_names(const fs::path& dir) {
  std::vector<std::string> names = list_names(dir);
  std::erase_if(names, [](const std::string& name) { return !is_temp_name(name); });
  return names;
}

// The record_names in `dir` that start with `prefix`.
inline std::vector<std::string> names_with_prefix(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> names;
  for (const std::string& name : record_names(dir)) {
    if (name.rfind(prefix, 0) == 0) names.push_back(name);
  }
  return names;
}

// Options for the seed layout, which most tests are about.
inline WriteAheadLogOptions options_for(const fs::path& dir, uint32_t threshold = 3) {
  WriteAheadLogOptions options;
  options.service_name = "test";
  options.base_dir = dir.string();
  options.checkpoint_threshold = threshold;
  options.layout = Layout::kSeed;
  return options;
}

// Options for the segmented layout, sized small so that tests rotate
// segments and take snapshots after a few messages: deterministic (no
// background work) unless a test turns it on.
inline WriteAheadLogOptions segmented_options_for(const fs::path& dir) {
  WriteAheadLogOptions options;
  options.service_name = "test";
  options.base_dir = dir.string();
  options.layout = Layout::kSegmented;
  options.segmented.segment_bytes = 64 * 1024;
  options.segmented.checkpoint_bytes = 256 * 1024;
  options.segmented.background_work = false;
  return options;
}

// Opens a WriteAheadLog with `interpreter` (the consumer interpreter unless
// given) on `storage` (the file system unless given); fails the test if it cannot.
inline std::unique_ptr<WriteAheadLog> open_log(
    const WriteAheadLogOptions& options, std::shared_ptr<Storage> storage = nullptr,
    std::shared_ptr<StateInterpreter> interpreter = std::make_shared<ConsumerStateInterpreter>()) {
  if (!storage) storage = std::make_shared<FileSystemStorage>();
  auto log = WriteAheadLog::open(std::move(interpreter), storage, options);
  EXPECT_TRUE(log.is_ok()) << log.status().to_string();
  return log.is_ok() ? std::move(log).value() : nullptr;
}

// {"batch": i, "content": "Sentence i."}, the original worker's messages.
inline Json sentence(uint64_t i) {
  return Json{{"batch", i}, {"content", "Sentence " + std::to_string(i) + "."}};
}

// "Sentence first. ... Sentence last."
inline std::string sentences(uint64_t first, uint64_t last) {
  std::string text;
  for (uint64_t i = first; i <= last; ++i) {
    if (!text.empty()) text += ' ';
    text += "Sentence " + std::to_string(i) + ".";
  }
  return text;
}

// Persists sentence(i) under id i for i in [first, last]; each must be written.
inline void persist_sentences(DataPersistence& log, const std::string& client, uint64_t first,
                              uint64_t last) {
  for (uint64_t i = first; i <= last; ++i) {
    auto outcome = log.persist(client, sentence(i), i);
    ASSERT_TRUE(outcome.is_ok()) << outcome.status().to_string();
    ASSERT_EQ(*outcome, PersistOutcome::kWritten) << "id " << i;
  }
}

// ---- data directories and the original's file format -----------------------

// A test with an empty data directory <tmp>/data; open() starts a WriteAheadLog on it.
class DataDirTest : public ::testing::Test {
 protected:
  fs::path base_dir() const { return dir_.path() / "data"; }
  fs::path client_dir(const std::string& client) const { return base_dir() / client; }
  std::unique_ptr<WriteAheadLog> open(uint32_t threshold = 3,
                                      std::shared_ptr<Storage> storage = nullptr) const {
    return open_log(options_for(base_dir(), threshold), std::move(storage));
  }

  TempDir dir_;
};

// A file as the original service wrote it: status line, '\n', one line of JSON, no final newline.
inline std::string original_file(const std::string& status, const std::string& json) {
  return status + "\n" + json;
}

// The JSON of an original log: `data` and `message_id` are JSON texts ("4" or "\"4\"").
inline std::string original_log_json(const std::string& data, const std::string& timestamp,
                                     const std::string& message_id) {
  return R"({"data": )" + data + R"(, "_metadata": {"timestamp": ")" + timestamp +
         R"(", "message_id": )" + message_id + "}}";
}

// The JSON of an original checkpoint: `content` is a JSON text, `max_message_id` too.
inline std::string original_checkpoint_json(const std::string& content,
                                            const std::string& timestamp,
                                            const std::string& max_message_id) {
  return R"({"content": )" + content + R"(, "_metadata": {"timestamp": ")" + timestamp +
         R"(", "max_message_id": )" + max_message_id + "}}";
}

// Writes <dir>/log_<timestamp>_<id>.log as the original wrote {"batch": id, "content": content}.
inline fs::path write_original_sentence_log(const fs::path& dir, const std::string& status,
                                            const std::string& timestamp, uint64_t id,
                                            const std::string& content) {
  const fs::path path = dir / ("log_" + timestamp + "_" + std::to_string(id) + ".log");
  const std::string data = R"({"batch": )" + std::to_string(id) + R"(, "content": )" +
                           dump_python_style(Json(content)) + "}";
  write_bytes(path, original_file(status, original_log_json(data, timestamp, std::to_string(id))));
  return path;
}

// Writes <dir>/checkpoint_<timestamp>.log as the original wrote it.
inline fs::path write_original_checkpoint(const fs::path& dir, const std::string& status,
                                          const std::string& timestamp, const std::string& content,
                                          const std::string& max_message_id) {
  const fs::path path = dir / ("checkpoint_" + timestamp + ".log");
  write_bytes(path, original_file(status, original_checkpoint_json(dump_python_style(Json(content)),
                                                                   timestamp, max_message_id)));
  return path;
}

// The bytes wal writes for `original_bytes` (a COMPLETED file in the original's
// format): the same, with a last "_metadata" field "crc32c" holding the CRC-32C
// of `original_bytes` as eight lower-case hex digits.
inline std::string with_crc32c(const std::string& original_bytes) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", crc32c::value(original_bytes));
  const std::string closing = "}}";
  EXPECT_TRUE(original_bytes.ends_with(closing)) << original_bytes;
  return original_bytes.substr(0, original_bytes.size() - closing.size()) + R"(, "crc32c": ")" +
         hex + "\"" + closing;
}

// The timestamp a log_<ts>_<id>.log or checkpoint_<ts>.log name carries, as written.
inline std::string timestamp_in_name(const std::string& name) {
  static const std::regex kName(R"(^(?:log_(\d+)_\d+|checkpoint_(\d+))\.log$)");
  std::smatch match;
  EXPECT_TRUE(std::regex_match(name, match, kName)) << name;
  return match[1].matched ? match[1].str() : match[2].str();
}

// The one file in `dir` whose name starts with `prefix`; fails the test if there are more or none.
inline std::string only_file_with_prefix(const fs::path& dir, const std::string& prefix) {
  const std::vector<std::string> names = names_with_prefix(dir, prefix);
  EXPECT_EQ(names.size(), 1u) << ::testing::PrintToString(list_names(dir));
  return names.empty() ? std::string() : names.front();
}

// True when the report has an event with `action` ("removed", "ignored") for `path`.
inline bool reported(const RecoveryReport& report, const fs::path& path,
                     const std::string& action) {
  return std::any_of(report.events.begin(), report.events.end(), [&](const auto& event) {
    return event.path == path.string() && event.action == action;
  });
}

// The "content" string of the client's state; fails the test if retrieve fails.
inline std::string content_of(DataPersistence& log, const std::string& client) {
  auto state = log.retrieve(client);
  EXPECT_TRUE(state.is_ok()) << state.status().to_string();
  return state.is_ok() ? state->value("content", std::string()) : std::string();
}

// The highest id clients() lists for `client`; empty when it is not listed.
inline std::optional<uint64_t> mark_of(DataPersistence& log, const std::string& client) {
  auto all = log.clients();
  EXPECT_TRUE(all.is_ok()) << all.status().to_string();
  if (!all.is_ok()) return std::nullopt;
  for (const ClientSummary& summary : *all) {
    if (summary.client_id == client) return summary.max_message_id;
  }
  return std::nullopt;
}

}  // namespace wal::testing
