// Built-in state interpreters by name, for tools and configuration files.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "wal/state_interpreter.h"
#include "wal/status.h"

namespace wal {

// The names make_state_interpreter accepts: consumer, merge-patch, list, latest.
const std::vector<std::string_view>& state_interpreter_names();

// A new interpreter of the named kind; kInvalidArgument, listing the names,
// for any other name.
Result<std::shared_ptr<StateInterpreter>> make_state_interpreter(std::string_view name);

}  // namespace wal
