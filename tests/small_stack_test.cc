// SmallStack: in place up to its size, on the heap past it, the same either way.
#include "util/small_stack.h"

#include <gtest/gtest.h>

namespace wal {
namespace {

TEST(SmallStackTest, EntriesPastTheInPlaceOnesSpillAndComeBackInOrder) {
  SmallStack<int, 3> stack;
  EXPECT_TRUE(stack.empty());
  for (int i = 0; i < 7; ++i) {
    stack.push(i);
    EXPECT_EQ(stack.back(), i);
    EXPECT_EQ(stack.size(), static_cast<size_t>(i + 1));
  }
  for (size_t i = 0; i < stack.size(); ++i) EXPECT_EQ(stack[i], static_cast<int>(i));
  stack.back() = 60;
  EXPECT_EQ(stack[6], 60);
  for (int i = 6; i >= 0; --i) {
    EXPECT_EQ(stack.back(), i == 6 ? 60 : i);
    stack.pop();
  }
  EXPECT_TRUE(stack.empty());
  stack.push(9);  // in place again after spilling
  EXPECT_EQ(stack[0], 9);
}

}  // namespace
}  // namespace wal
