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

inline double median(std::vector<double> values) { return percentile(std::move(values), 0.5); }

}  // namespace walbench
