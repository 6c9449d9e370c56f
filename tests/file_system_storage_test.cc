// FileSystemStorage's whole-file reads: a mapped read gives exactly the bytes
// read_file gives, and a wrapping Storage's faults reach it.
#include <gtest/gtest.h>

#include "fault_injection_storage.h"
#include "test_util.h"

namespace wal::testing {
namespace {

std::string whole_file(Storage& storage, const fs::path& path) {
  auto contents = storage.read_whole_file(path.string());
  EXPECT_TRUE(contents.is_ok()) << contents.status().to_string();
  return contents.is_ok() ? std::string((*contents)->bytes()) : std::string();
}

TEST(FileSystemStorageTest, WholeFileReadGivesTheBytesOfReadFile) {
  TempDir dir;
  std::string bytes;
  for (int i = 0; i < 3 * 4096 + 1; ++i) bytes += static_cast<char>(i * 7);  // zeros included
  write_bytes(dir.path() / "f", bytes);
  FileSystemStorage storage;
  EXPECT_EQ(whole_file(storage, dir.path() / "f"), bytes);
  EXPECT_EQ(*storage.read_file((dir.path() / "f").string()), bytes);
}

TEST(FileSystemStorageTest, EmptyFileReadsWholeAsEmpty) {
  TempDir dir;
  write_bytes(dir.path() / "empty", "");
  FileSystemStorage storage;
  EXPECT_EQ(whole_file(storage, dir.path() / "empty"), "");
}

TEST(FileSystemStorageTest, MissingFileReadWholeIsNotFound) {
  TempDir dir;
  FileSystemStorage storage;
  auto contents = storage.read_whole_file((dir.path() / "missing").string());
  ASSERT_FALSE(contents.is_ok());
  EXPECT_EQ(contents.status().code(), Code::kNotFound);
}

TEST(FileSystemStorageTest, WholeFileReadOutlivesTheFilesRemoval) {
  TempDir dir;
  write_bytes(dir.path() / "f", "still here");
  FileSystemStorage storage;
  auto contents = storage.read_whole_file((dir.path() / "f").string());
  ASSERT_TRUE(contents.is_ok());
  fs::remove(dir.path() / "f");
  EXPECT_EQ((*contents)->bytes(), "still here");
}

TEST(FileSystemStorageTest, WrappingStorageReadsWholeFilesThroughItsReadFile) {
  TempDir dir;
  write_bytes(dir.path() / "f", "bytes");
  FaultInjectionStorage faulty(std::make_shared<FileSystemStorage>());
  EXPECT_EQ(whole_file(faulty, dir.path() / "f"), "bytes");
  faulty.fail(Op::kRead, 1, EIO);
  auto contents = faulty.read_whole_file((dir.path() / "f").string());
  ASSERT_FALSE(contents.is_ok());
  EXPECT_EQ(contents.status().code(), Code::kIOError);
}

}  // namespace
}  // namespace wal::testing
