// An engine over any wal::DataPersistence (our WriteAheadLog in either
// layout, EtcdPersistence), with the original service's
// ConsumerStateInterpreter: the subclass only opens it.
#pragma once

#include <wal/data_persistence.h>

#include <memory>

#include "engine.h"

namespace walbench {

class PersistenceEngine : public Engine {
 public:
  bool persist(const Call& call) override;
  size_t persist_batch(std::span<const Call> calls) override;
  std::string merged_content(const std::string& client) override;
  void close() override { persistence_.reset(); }

 protected:
  // Called by open(): the store from now on.
  void set_persistence(std::unique_ptr<wal::DataPersistence> persistence) {
    persistence_ = std::move(persistence);
  }

 private:
  std::unique_ptr<wal::DataPersistence> persistence_;
};

}  // namespace walbench
