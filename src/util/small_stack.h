// A stack that keeps its first N entries in place and spills past them to the
// heap: the explicit stacks of the JSON walks, which must not recurse (a
// hostile document can nest deeper than the call stack) and should not
// allocate for the documents a service sends.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

namespace wal {

template <typename T, size_t N>
class SmallStack {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // The i-th entry from the bottom.
  const T& operator[](size_t i) const { return i < N ? in_place_[i] : spilled_[i - N]; }
  // Invalidated by push.
  T& back() { return size_ <= N ? in_place_[size_ - 1] : spilled_.back(); }
  void push(const T& value) {
    if (size_ < N) {
      in_place_[size_] = value;
    } else {
      spilled_.push_back(value);
    }
    ++size_;
  }
  void pop() {
    if (size_ > N) spilled_.pop_back();
    --size_;
  }

 private:
  std::array<T, N> in_place_{};
  std::vector<T> spilled_;
  size_t size_ = 0;
};

}  // namespace wal
