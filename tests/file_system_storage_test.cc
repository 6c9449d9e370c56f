// FileSystemStorage's positional files: what the seed layout's spares and the
// segmented layout's segments rely on.
#include "wal/file_system_storage.h"
#include "test_util.h"

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

}  // namespace
}  // namespace wal::testing
