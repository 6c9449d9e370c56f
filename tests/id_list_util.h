// For tests of the order messages land in: each message is {"id": N} under
// id N, and a ListStateInterpreter keeps them in the order it merges them.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
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

// Issue 7's scenario under exact dedup: 5 fails and is requeued, 6 is
// written, 5 comes back and lands in its place; the same after a reopen.
// `open` opens the log under test (on the same data each time).
inline void expect_requeued_message_written_in_its_place(
    const std::function<std::unique_ptr<DataPersistence>()>& open) {
  auto log = open();
  ASSERT_TRUE(log);
  for (uint64_t id : {1, 2, 3, 4, 6}) {
    EXPECT_EQ(persist_id(*log, "c", id), PersistOutcome::kWritten);
  }
  EXPECT_EQ(persist_id(*log, "c", 5), PersistOutcome::kWritten);
  EXPECT_EQ(ids_in_state(*log, "c"), id_range(1, 6));
  EXPECT_EQ(persist_id(*log, "c", 5), PersistOutcome::kDuplicate);
  EXPECT_EQ(persist_id(*log, "c", 6), PersistOutcome::kDuplicate);
  log.reset();
  log = open();
  ASSERT_TRUE(log);
  EXPECT_EQ(ids_in_state(*log, "c"), id_range(1, 6));
  EXPECT_EQ(persist_id(*log, "c", 5), PersistOutcome::kDuplicate);
}

}  // namespace wal::testing
