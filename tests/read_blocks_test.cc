// Which of a client's records are read together (segmented/read_blocks.h).
#include "segmented/read_blocks.h"

#include <vector>

#include <gtest/gtest.h>

namespace wal::segmented {
namespace {

TEST(ReadBlocksTest, AdjacentRecordsOfOneSegmentShareABlock) {
  const std::vector<Location> records = {{1, 0, 100}, {1, 100, 50}, {1, 150, 70}};
  EXPECT_EQ(read_block_end(records, 0), 3u);
  EXPECT_EQ(read_block_end(records, 1), 3u);
}

TEST(ReadBlocksTest, ARecordInAnotherSegmentStartsANewBlock) {
  const std::vector<Location> records = {{1, 0, 100}, {2, 100, 100}};
  EXPECT_EQ(read_block_end(records, 0), 1u);
}

TEST(ReadBlocksTest, AGapUpToTheLimitIsReadThrough) {
  const std::vector<Location> records = {{1, 0, 100}, {1, 100 + kMaxReadGapBytes, 100}};
  EXPECT_EQ(read_block_end(records, 0), 2u);
}

TEST(ReadBlocksTest, AGapBeyondTheLimitStartsANewBlock) {
  const std::vector<Location> records = {{1, 0, 100}, {1, 100 + kMaxReadGapBytes + 1, 100}};
  EXPECT_EQ(read_block_end(records, 0), 1u);
}

TEST(ReadBlocksTest, BlockStopsBeforeItWouldExceedTheLimit) {
  const uint32_t half = kMaxReadBlockBytes / 2;
  const std::vector<Location> records = {{1, 0, half}, {1, half, half}, {1, 2 * half, 1}};
  EXPECT_EQ(read_block_end(records, 0), 2u);
  EXPECT_EQ(read_block_end(records, 2), 3u);
}

TEST(ReadBlocksTest, RecordLargerThanABlockIsReadAlone) {
  const std::vector<Location> records = {{1, 0, kMaxReadBlockBytes + 1},
                                         {1, kMaxReadBlockBytes + 1, 10}};
  EXPECT_EQ(read_block_end(records, 0), 1u);
  EXPECT_EQ(read_block_end(records, 1), 2u);
}

TEST(ReadBlocksTest, RecordsOutOfOrderAreNotMerged) {
  // Not expected of a client's records; a block never reads backwards.
  const std::vector<Location> records = {{1, 500, 100}, {1, 0, 100}};
  EXPECT_EQ(read_block_end(records, 0), 1u);
}

}  // namespace
}  // namespace wal::segmented
