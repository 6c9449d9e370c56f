#include "workload.h"

#include <cstdio>
#include <random>

#include <nlohmann/json.hpp>

namespace walbench {

Workload make_workload(const WorkloadShape& shape) {
  Workload workload;
  // Wide enough names that 10 and 10,000 clients sort the same way.
  const int digits = shape.clients > 100 ? 5 : 2;
  for (uint32_t c = 0; c < shape.clients; ++c) {
    char name[32];
    std::snprintf(name, sizeof name, "client-%0*u", digits, c);
    workload.client_names.emplace_back(name);
  }
  workload.highest_id.assign(shape.clients, 0);
  workload.messages.reserve(shape.calls);
  std::mt19937_64 random(shape.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (size_t i = 0; i < shape.calls; ++i) {
    const auto client = static_cast<uint32_t>(random() % shape.clients);
    uint64_t& highest = workload.highest_id[client];
    if (highest > 0 && unit(random) < shape.redelivery_rate) {
      // Half retry the last message, half re-send an older one.
      const uint64_t id = (random() & 1) ? highest : 1 + random() % highest;
      workload.messages.push_back({client, id, true});
      ++workload.redelivered;
    } else {
      workload.messages.push_back({client, ++highest, false});
    }
  }
  return workload;
}

std::string message_content(uint32_t client, uint64_t id) {
  static const char kFiller[] =
      "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut "
      "labore et dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco";
  constexpr size_t kLength = 86;
  char head[40];
  const int head_length = std::snprintf(head, sizeof head, "c%02u m%010llu ", client % 100,
                                        static_cast<unsigned long long>(id));
  std::string content(head, static_cast<size_t>(head_length));
  content.append(kFiller + id % 50, kLength - content.size());
  return content;
}

std::string message_payload(uint32_t client, uint64_t id) {
  return "{\"content\":\"" + message_content(client, id) + "\"}";
}

namespace {

void append_content(std::string& merged, const std::string& content) {
  if (content.empty()) return;
  if (!merged.empty() && merged.back() != ' ') merged.push_back(' ');
  merged += content;
}

}  // namespace

std::string expected_content(const Workload& workload, uint32_t client) {
  std::string merged;
  for (uint64_t id = 1; id <= workload.highest_id[client]; ++id) {
    append_content(merged, message_content(client, id));
  }
  return finish_merge(std::move(merged));
}

void merge_payload(std::string& merged, std::string_view payload) {
  const auto parsed = nlohmann::json::parse(payload.begin(), payload.end());
  append_content(merged, parsed.at("content").get_ref<const std::string&>());
}

std::string finish_merge(std::string merged) {
  const size_t first = merged.find_first_not_of(" \t\n\r\f\v");
  if (first == std::string::npos) return "";
  const size_t last = merged.find_last_not_of(" \t\n\r\f\v");
  return merged.substr(first, last - first + 1);
}

}  // namespace walbench
