// Helpers shared by the tests: temporary directories, exact file contents,
// and opening a WriteAheadLog on them.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "wal/wal.h"

namespace wal::testing {

namespace fs = std::filesystem;

// A fresh directory under $TMPDIR, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "wal-test-XXXXXX").string();
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

// Names in `dir` that start with `prefix`, sorted.
inline std::vector<std::string> names_with_prefix(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> names;
  for (const std::string& name : list_names(dir)) {
    if (name.rfind(prefix, 0) == 0) names.push_back(name);
  }
  return names;
}

inline WriteAheadLogOptions options_for(const fs::path& dir, uint32_t threshold = 3) {
  WriteAheadLogOptions options;
  options.service_name = "test";
  options.base_dir = dir.string();
  options.checkpoint_threshold = threshold;
  return options;
}

// Opens a WriteAheadLog with the consumer interpreter; fails the test if it cannot.
inline std::unique_ptr<WriteAheadLog> open_log(const WriteAheadLogOptions& options,
                                               std::shared_ptr<Storage> storage = nullptr) {
  if (!storage) storage = std::make_shared<FileSystemStorage>();
  auto log = WriteAheadLog::open(std::make_shared<ConsumerStateInterpreter>(), storage, options);
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

}  // namespace wal::testing
