// Percentiles and medians.
#pragma once

#include <algorithm>
#include <vector>

namespace walbench {

// Nearest rank; q in [0, 1]. 0 for no values.
inline double percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  const auto rank = static_cast<size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(rank),
                   values.end());
  return values[rank];
}

// The middle value, or the mean of the two middle values for an even count
// (with two repetitions, nearest rank would report the larger one).
inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

}  // namespace walbench
