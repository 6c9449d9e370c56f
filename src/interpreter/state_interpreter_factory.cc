#include "wal/state_interpreter_factory.h"

#include <string>

#include "wal/consumer_state_interpreter.h"
#include "wal/latest_state_interpreter.h"
#include "wal/list_state_interpreter.h"
#include "wal/merge_patch_state_interpreter.h"

namespace wal {

const std::vector<std::string_view>& state_interpreter_names() {
  static const std::vector<std::string_view> kNames = {"consumer", "merge-patch", "list", "latest"};
  return kNames;
}

Result<std::shared_ptr<StateInterpreter>> make_state_interpreter(std::string_view name) {
  if (name == "consumer")
    return std::shared_ptr<StateInterpreter>(std::make_shared<ConsumerStateInterpreter>());
  if (name == "merge-patch")
    return std::shared_ptr<StateInterpreter>(std::make_shared<MergePatchStateInterpreter>());
  if (name == "list")
    return std::shared_ptr<StateInterpreter>(std::make_shared<ListStateInterpreter>());
  if (name == "latest")
    return std::shared_ptr<StateInterpreter>(std::make_shared<LatestStateInterpreter>());
  std::string names;
  for (std::string_view known : state_interpreter_names()) {
    if (!names.empty()) names += ", ";
    names += known;
  }
  return Status::invalid_argument("unknown state interpreter \"" + std::string(name) +
                                  "\"; the interpreters are: " + names);
}

}  // namespace wal
