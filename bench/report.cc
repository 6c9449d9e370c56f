#include "report.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include "engine.h"
#include "stats.h"

namespace walbench {
namespace {

bool is_database_peer(const std::string& engine) {
  return engine == "sqlite" || engine == "rocksdb" || engine == "leveldb";
}

// Results of one (scenario label, engine), in the order first run.
struct Group {
  std::string label, engine;
  std::vector<const Measurement*> passed;
  size_t runs = 0;
};

std::vector<Group> group_results(const std::vector<RepeatedMeasurement>& results) {
  std::vector<Group> groups;
  std::map<std::pair<std::string, std::string>, size_t> index;
  // Scenario labels in the order first seen, engines in report order.
  std::vector<std::string> labels;
  for (const auto& r : results) {
    if (std::find(labels.begin(), labels.end(), r.measurement.label) == labels.end()) {
      labels.push_back(r.measurement.label);
    }
  }
  for (const auto& label : labels) {
    for (const auto& engine : engine_names()) {
      for (const auto& r : results) {
        const Measurement& m = r.measurement;
        if (m.label != label || m.engine != engine) continue;
        auto [slot, inserted] = index.try_emplace({label, engine}, groups.size());
        if (inserted) groups.push_back({label, engine, {}, 0});
        Group& group = groups[slot->second];
        ++group.runs;
        if (m.check_passed) group.passed.push_back(&m);
      }
    }
  }
  return groups;
}

template <typename Field>
double median_of(const Group& group, Field field) {
  std::vector<double> values;
  for (const Measurement* m : group.passed) values.push_back(static_cast<double>(field(*m)));
  return median(values);
}

std::string with_separators(double value) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%.0f", value);
  std::string text(digits), out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i > 0 && (text.size() - i) % 3 == 0 && text[i - 1] != '-') out.push_back(',');
    out.push_back(text[i]);
  }
  return out;
}

std::string fixed(double value, int decimals) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string mebibytes(double bytes) { return fixed(bytes / (1 << 20), 1) + " MiB"; }

double syncs_per_call(const Measurement& m) {
  return m.durability_calls == 0
             ? 0
             : static_cast<double>(m.syncs) / static_cast<double>(m.durability_calls);
}

double write_amplification(const Measurement& m) {
  return m.payload_bytes == 0
             ? 0
             : static_cast<double>(m.write_bytes) / static_cast<double>(m.payload_bytes);
}

bool is_recovery(const Group& group) {
  return !group.passed.empty() && group.passed.front()->recovery_ms >= 0;
}

}  // namespace

nlohmann::json to_json(const Measurement& m) {
  return {{"engine", m.engine},
          {"scenario", m.scenario},
          {"label", m.label},
          {"calls", m.calls},
          {"durability_calls", m.durability_calls},
          {"seconds", m.seconds},
          {"persists_per_s", m.persists_per_s},
          {"p50_us", m.p50_us},
          {"p99_us", m.p99_us},
          {"recovery_ms", m.recovery_ms},
          {"open_ms", m.open_ms},
          {"retrieve_ms", m.retrieve_ms},
          {"syncs", m.syncs},
          {"write_bytes", m.write_bytes},
          {"payload_bytes", m.payload_bytes},
          {"disk_bytes", m.disk_bytes},
          {"peak_rss_bytes", m.peak_rss_bytes},
          {"check_passed", m.check_passed},
          {"error", m.error}};
}

Measurement measurement_from_json(const nlohmann::json& json) {
  Measurement m;
  m.engine = json.at("engine");
  m.scenario = json.at("scenario");
  m.label = json.at("label");
  m.calls = json.at("calls");
  m.durability_calls = json.at("durability_calls");
  m.seconds = json.at("seconds");
  m.persists_per_s = json.at("persists_per_s");
  m.p50_us = json.at("p50_us");
  m.p99_us = json.at("p99_us");
  m.recovery_ms = json.at("recovery_ms");
  m.open_ms = json.at("open_ms");
  m.retrieve_ms = json.at("retrieve_ms");
  m.syncs = json.at("syncs");
  m.write_bytes = json.at("write_bytes");
  m.payload_bytes = json.at("payload_bytes");
  m.disk_bytes = json.at("disk_bytes");
  m.peak_rss_bytes = json.at("peak_rss_bytes");
  m.check_passed = json.at("check_passed");
  m.error = json.at("error");
  return m;
}

void print_table(std::ostream& out, const std::vector<RepeatedMeasurement>& results) {
  out << "| scenario | engine | calls | persists/s | p50 µs | p99 µs | recovery ms (open + "
         "retrieve) | syncs per call | written / payload bytes | disk | peak RSS | checks |\n"
         "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const Group& group : group_results(results)) {
    const std::string checks =
        std::to_string(group.passed.size()) + "/" + std::to_string(group.runs);
    if (group.passed.empty()) {
      out << "| " << group.label << " | " << group.engine << " | | | | | | | | | | " << checks
          << " FAILED |\n";
      continue;
    }
    const double calls = median_of(group, [](const Measurement& m) { return m.calls; });
    out << "| " << group.label << " | " << group.engine << " | " << with_separators(calls);
    if (is_recovery(group)) {
      out << " | | | | "
          << fixed(median_of(group, [](const Measurement& m) { return m.recovery_ms; }), 1) << " ("
          << fixed(median_of(group, [](const Measurement& m) { return m.open_ms; }), 1) << " + "
          << fixed(median_of(group, [](const Measurement& m) { return m.retrieve_ms; }), 1)
          << ") | | ";
    } else {
      out << " | "
          << with_separators(
                 median_of(group, [](const Measurement& m) { return m.persists_per_s; }))
          << " | " << fixed(median_of(group, [](const Measurement& m) { return m.p50_us; }), 0)
          << " | " << fixed(median_of(group, [](const Measurement& m) { return m.p99_us; }), 0)
          << " | | " << fixed(median_of(group, syncs_per_call), 3) << " | "
          << fixed(median_of(group, write_amplification), 2);
    }
    out << " | " << mebibytes(median_of(group, [](const Measurement& m) { return m.disk_bytes; }))
        << " | "
        << mebibytes(median_of(group, [](const Measurement& m) { return m.peak_rss_bytes; }))
        << " | " << checks << " |\n";
  }
}

// What each of ours is set against in the ratio table ("best peer" is the
// best of SQLite, RocksDB and LevelDB in the repetition).
constexpr const char* kComparedWith[] = {"best peer",       "sqlite",        "rocksdb",
                                         "leveldb",         "raw",           "wal-segmented",
                                         "etcd-3node-bare", "etcd-3node-txn"};

void print_ratios(std::ostream& out, const std::vector<RepeatedMeasurement>& results) {
  // (label, repetition) -> engine -> measurement
  std::map<std::string, std::map<size_t, std::map<std::string, const Measurement*>>> by_label;
  std::vector<std::string> labels;
  for (const auto& r : results) {
    if (!r.measurement.check_passed) continue;
    if (!by_label.contains(r.measurement.label)) labels.push_back(r.measurement.label);
    by_label[r.measurement.label][r.repetition][r.measurement.engine] = &r.measurement;
  }
  out << "| scenario | engine | against | ratio (median of per-repetition ratios) | "
         "repetitions |\n|---|---|---|---:|---:|\n";
  for (const auto& label : labels) {
    for (const std::string ours : {"wal-segmented", "wal-segmented-exact", "wal-seed",
                                   "wal-seed-exact", "etcd-3node", "etcd-3node-exact"}) {
      // An exact engine is set against its high-water-mark variant alone.
      const std::string base = high_water_mark_variant(ours);
      const std::vector<std::string> compared_with =
          base.empty()
              ? std::vector<std::string>(std::begin(kComparedWith), std::end(kComparedWith))
              : std::vector<std::string>{base};
      // For recovery a ratio below 1 is better (time); elsewhere above 1 (rate).
      std::map<std::string, std::vector<double>> ratios;  // against -> per-repetition ratios
      for (const auto& [repetition, engines] : by_label[label]) {
        const auto mine = engines.find(ours);
        if (mine == engines.end()) continue;
        const bool recovery = mine->second->recovery_ms >= 0;
        auto figure = [recovery](const Measurement* m) {
          return recovery ? m->recovery_ms : m->persists_per_s;
        };
        std::optional<double> best;
        std::string best_name;
        for (const auto& [name, m] : engines) {
          if (!is_database_peer(name)) continue;
          const bool better = !best || (recovery ? figure(m) < *best : figure(m) > *best);
          if (better) {
            best = figure(m);
            best_name = name;
          }
        }
        if (base.empty() && best && *best > 0) {
          ratios["best peer"].push_back(figure(mine->second) / *best);
        }
        for (const std::string& peer : compared_with) {
          const auto other = engines.find(peer);
          if (peer == ours) continue;
          if (other != engines.end() && figure(other->second) > 0) {
            ratios[peer].push_back(figure(mine->second) / figure(other->second));
          }
        }
      }
      for (const std::string& against : compared_with) {
        if (!ratios.contains(against)) continue;
        out << "| " << label << " | " << ours << " | " << against << " | "
            << fixed(median(ratios[against]), 2) << "× | " << ratios[against].size() << " |\n";
      }
    }
  }
  out << "\nRates are ours / theirs (above 1: we are faster); recovery times are ours / theirs "
         "(below 1: we recover faster). \"best peer\" is the best of SQLite, RocksDB and LevelDB "
         "in the same repetition; etcd-3node is set against etcd-3node-bare (one plain Put per "
         "message on the same cluster) and etcd-3node-txn (our transaction per message, nothing "
         "else); an -exact engine (the exact dedup policy) is set against the same engine under "
         "the "
         "high-water mark.\n";
}

void print_json_lines(std::ostream& out, const std::vector<RepeatedMeasurement>& results) {
  for (const Group& group : group_results(results)) {
    nlohmann::json line = {
        {"engine", group.engine},
        {"scenario", group.passed.empty() ? group.label : group.passed[0]->scenario}};
    line["checks_passed"] = group.passed.size();
    line["repetitions"] = group.runs;
    if (!group.passed.empty()) {
      line["messages"] =
          static_cast<uint64_t>(median_of(group, [](const Measurement& m) { return m.calls; }));
      if (is_recovery(group)) {
        line["recovery_ms"] = median_of(group, [](const Measurement& m) { return m.recovery_ms; });
      } else {
        line["persists_per_s"] =
            median_of(group, [](const Measurement& m) { return m.persists_per_s; });
        line["p50_us"] = median_of(group, [](const Measurement& m) { return m.p50_us; });
        line["p99_us"] = median_of(group, [](const Measurement& m) { return m.p99_us; });
        line["fdatasyncs_per_call"] = median_of(group, syncs_per_call);
        line["write_amplification"] = median_of(group, write_amplification);
      }
      // Each passed repetition's own figures, in run order: the spread
      // behind the medians.
      nlohmann::json runs = nlohmann::json::array();
      for (const Measurement* m : group.passed) {
        runs.push_back(is_recovery(group) ? nlohmann::json{{"recovery_ms", m->recovery_ms}}
                                          : nlohmann::json{{"persists_per_s", m->persists_per_s},
                                                           {"p50_us", m->p50_us},
                                                           {"p99_us", m->p99_us}});
      }
      line["per_repetition"] = std::move(runs);
      line["disk_bytes"] = static_cast<uint64_t>(
          median_of(group, [](const Measurement& m) { return m.disk_bytes; }));
      line["peak_rss_bytes"] = static_cast<uint64_t>(
          median_of(group, [](const Measurement& m) { return m.peak_rss_bytes; }));
    }
    out << line.dump() << "\n";
  }
}

}  // namespace walbench
