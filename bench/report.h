// Turns the repetitions' measurements into the table, the ratios and the
// JSON lines: each figure is the median over the repetitions that passed.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario.h"

namespace walbench {

struct RepeatedMeasurement {
  size_t repetition = 0;
  Measurement measurement;
};

// A measurement as one JSON object, and back (how a job's child process
// hands its result to the parent).
nlohmann::json to_json(const Measurement& m);
Measurement measurement_from_json(const nlohmann::json& json);

// The markdown table of medians, one row per scenario and engine.
void print_table(std::ostream& out, const std::vector<RepeatedMeasurement>& results);
// Our engines against the best peer, as medians of ratios taken within each
// repetition (so the two sides ran minutes, not hours, apart).
void print_ratios(std::ostream& out, const std::vector<RepeatedMeasurement>& results);
// One JSON object per line: {"engine", "scenario", "persists_per_s", "p50_us",
// "p99_us", "recovery_ms", ...}; fields that do not apply are left out.
void print_json_lines(std::ostream& out, const std::vector<RepeatedMeasurement>& results);

}  // namespace walbench
