// For tests of the order messages land in: each message is {"id": N} under
// id N, and a ListStateInterpreter keeps them in the order it merges them.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "wal/data_persistence.h"
#include "wal/list_state_interpreter.h"

namespace wal::testing {

inline Json id_message(uint64_t id) { return Json{{"id", id}}; }

// Persists id_message(id) under `id`; fails the test on an error.
inline PersistOutcome persist_id(DataPersistence& log, const std::string& client, uint64_t id) {
  auto outcome = log.persist(client, id_message(id), id);
  EXPECT_TRUE(outcome.is_ok()) << outcome.status().to_string();
  return outcome.is_ok() ? *outcome : PersistOutcome::kDuplicate;
}

// The ids of the client's messages, in the order its state holds them.
inline std::vector<uint64_t> ids_in_state(DataPersistence& log, const std::string& client) {
  auto state = log.retrieve(client);
  EXPECT_TRUE(state.is_ok()) << state.status().to_string();
  std::vector<uint64_t> ids;
  if (state.is_ok()) {
    for (const Json& data : (*state)["messages"]) ids.push_back(data["id"].get<uint64_t>());
  }
  return ids;
}

// first, first + 1, ..., last.
inline std::vector<uint64_t> id_range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> ids;
  for (uint64_t id = first; id <= last; ++id) ids.push_back(id);
  return ids;
}

}  // namespace wal::testing
