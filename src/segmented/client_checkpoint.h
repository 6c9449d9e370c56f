// What a snapshot's client frame holds as JSON (docs/format.md).
//
// Under DedupPolicy::kHighWaterMark: the interpreter's checkpoint object, as
// in the seed layout's checkpoint files; the frame's id is the dedup mark.
// Under kExact: {"dedup": the saved dedup state, "state": checkpoint object
// of the messages at or below the low-water mark, "pending": [[id, record],
// ...] the recorded messages above the mark, ascending}. Those stay unfolded
// because a late message may still land between them. "dedup" comes first so
// that recovery reads it without parsing the state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dedup/dedup_state.h"
#include "wal/json.h"
#include "wal/status.h"

namespace wal::segmented {

struct ClientCheckpoint {
  Json state;  // the interpreter's checkpoint object
  DedupState::Saved dedup;
  std::vector<std::pair<uint64_t, Json>> pending;  // id and record, ascending ids
};

std::string encode_client_checkpoint(DedupPolicy policy, const ClientCheckpoint& checkpoint);

// `frame_id` is the id the frame carries; damage is kCorruption at `path`, `offset`.
Result<ClientCheckpoint> decode_client_checkpoint(DedupPolicy policy, std::string_view json,
                                                  uint64_t frame_id, const std::string& path,
                                                  uint64_t offset);

// The saved dedup state alone, read without parsing the rest when "dedup"
// is the frame's first member (as encode_client_checkpoint writes it).
Result<DedupState::Saved> decode_client_dedup(DedupPolicy policy, std::string_view json,
                                              uint64_t frame_id, const std::string& path,
                                              uint64_t offset);

}  // namespace wal::segmented
