// Writing a new directory from consolidated client states: each client's
// merged state and its highest recorded id (its dedup mark), stored the way
// each layout stores a checkpoint. `walctl convert` uses it to move data
// between layouts without replaying messages, so every interpreter's state
// (list included) and every dedup mark arrive exactly.
//
//   seed:      one folder per client holding one checkpoint file whose
//              "_metadata" carries "max_message_id";
//   segmented: a LAYOUT file and one snapshot covering the start of the log
//              (no segment yet), holding every client's frame.
//
// The directory must exist and hold nothing. Nothing written is durable
// before finish() returns OK, and a directory left by a failure or a crash
// part-way is incomplete: write into a temporary directory and rename it
// into place once finish() succeeded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "wal/json.h"
#include "wal/state_interpreter.h"
#include "wal/status.h"
#include "wal/storage.h"
#include "wal/write_ahead_log.h"

namespace wal {

class StateImporter {
 public:
  virtual ~StateImporter() = default;

  // Records `state` (as interpreter.format_checkpoint stores it) as the whole
  // history of `client_id`, with `max_message_id` as its dedup mark. Clients
  // must come in ascending id order, each once.
  virtual Status add(std::string_view client_id, const Json& state, uint64_t max_message_id) = 0;

  // Makes everything added durable.
  virtual Status finish() = 0;

  // An importer writing `layout` (kSeed or kSegmented) into `base_dir`, an
  // existing empty directory. `storage` and `interpreter` must outlive it.
  static Result<std::unique_ptr<StateImporter>> create(Storage& storage,
                                                       const std::string& base_dir, Layout layout,
                                                       const StateInterpreter& interpreter);
};

}  // namespace wal
