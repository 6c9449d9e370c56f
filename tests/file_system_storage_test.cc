// FileSystemStorage's positional files: what the seed layout's spares and the
// segmented layout's segments rely on.
#include <sys/mount.h>

#include "test_util.h"
#include "wal/file_system_storage.h"

namespace wal::testing {
namespace {

class FileSystemStorageTest : public ::testing::Test {
 protected:
  std::string path() const { return (dir_.path() / "file").string(); }
  std::unique_ptr<PositionalFile> open(bool create) {
    auto file = storage_.open_positional_file(path(), create);
    EXPECT_TRUE(file.is_ok()) << file.status().to_string();
    return file.is_ok() ? std::move(file).value() : nullptr;
  }

  TempDir dir_;
  FileSystemStorage storage_;
};

TEST_F(FileSystemStorageTest, WriteAtOverwritesInPlaceAndTruncateCutsTheRest) {
  write_bytes(path(), "a long old record");
  auto file = open(/*create=*/false);
  ASSERT_TRUE(file->write_at(0, "short").is_ok());
  ASSERT_TRUE(file->truncate(5).is_ok());
  ASSERT_TRUE(file->sync().is_ok());
  ASSERT_TRUE(file->close().is_ok());
  EXPECT_EQ(read_bytes(path()), "short");
}

TEST_F(FileSystemStorageTest, TruncateBeyondTheEndGrowsTheFileWithZeros) {
  auto file = open(/*create=*/true);
  ASSERT_TRUE(file->write_at(0, "ab").is_ok());
  ASSERT_TRUE(file->truncate(4).is_ok());
  EXPECT_EQ(*file->size(), 4u);
  EXPECT_EQ(*file->read_at(0, 10), std::string("ab\0\0", 4));
}

TEST_F(FileSystemStorageTest, TruncateOfAClosedFileIsRefused) {
  auto file = open(/*create=*/true);
  ASSERT_TRUE(file->close().is_ok());
  EXPECT_EQ(file->truncate(0).code(), Code::kFailed);
}

TEST_F(FileSystemStorageTest, OpeningAMissingFileWithoutCreateIsNotFound) {
  auto file = storage_.open_positional_file(path(), /*create=*/false);
  ASSERT_FALSE(file.is_ok());
  EXPECT_EQ(file.status().code(), Code::kNotFound) << file.status().to_string();
}

// An operator may inspect a read-only copy of a data directory: positional
// files open there for reading, and writes fail rather than the open.
// Needs permission to mount (root in CI); skipped with a message otherwise.
TEST_F(FileSystemStorageTest, FileOnAReadOnlyFileSystemOpensForReadsOnly) {
  write_bytes(path(), "record");
  TempDir view;
  if (::mount(dir_.str().c_str(), view.str().c_str(), nullptr, MS_BIND, nullptr) != 0) {
    GTEST_SKIP() << "cannot bind-mount (" << std::strerror(errno) << "): run as root";
  }
  const int remounted =
      ::mount(nullptr, view.str().c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr);
  const int remount_error = errno;
  if (remounted == 0) {  // no ASSERT until the view is unmounted
    auto file = storage_.open_positional_file((view.path() / "file").string(), false);
    EXPECT_TRUE(file.is_ok()) << file.status().to_string();
    if (file.is_ok()) {
      EXPECT_EQ(*(*file)->read_at(0, 100), "record");
      EXPECT_EQ((*file)->write_at(0, "x").code(), Code::kIOError);
    }
    EXPECT_FALSE(storage_.open_positional_file((view.path() / "new").string(), true).is_ok());
  }
  ::umount2(view.str().c_str(), MNT_DETACH);
  ASSERT_EQ(remounted, 0) << std::strerror(remount_error);
  EXPECT_EQ(read_bytes(path()), "record");
}

}  // namespace
}  // namespace wal::testing
