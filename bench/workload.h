// The workload every engine runs: persist calls spread at random over the
// clients, ids increasing per client, a share of calls redelivering an id
// already recorded (which must be skipped), 100-byte JSON payloads
// {"content":"..."}. The same as the reference harness in
// shared/reference/peers, so figures compare with its RESULTS.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace walbench {

struct Message {
  uint32_t client = 0;  // index into Workload::client_names
  uint64_t id = 0;
  bool redelivered = false;  // id at or below the client's highest id so far: a duplicate
};

struct WorkloadShape {
  size_t calls = 20000;
  uint32_t clients = 10;
  double redelivery_rate = 0.05;
  uint64_t seed = 42;
};

struct Workload {
  std::vector<std::string> client_names;  // "client-00", ...
  std::vector<Message> messages;          // in call order
  std::vector<uint64_t> highest_id;       // per client at the end = messages accepted
  size_t redelivered = 0;

  size_t accepted() const { return messages.size() - redelivered; }
};

Workload make_workload(const WorkloadShape& shape);

// The "content" string of (client, id): 86 characters.
std::string message_content(uint32_t client, uint64_t id);
// {"content":"<message_content>"}: 100 bytes.
std::string message_payload(uint32_t client, uint64_t id);

// The merged "content" the ConsumerStateInterpreter yields for the client:
// every accepted message's content in id order, as the original service
// joins them (one space between, none added after a content ending in a
// space, the whole stripped; a content may end in a space).
std::string expected_content(const Workload& workload, uint32_t client);

// The peers store raw payloads and merge them on read by the same rule:
// merge_payload parses each as JSON, as a state interpreter does, and
// appends its "content"; finish_merge strips the result.
void merge_payload(std::string& merged, std::string_view payload);
std::string finish_merge(std::string merged);

}  // namespace walbench
