// The clients an engine knows, by id, each behind a shared_ptr so that a
// call can hold one client while others are added. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wal {

template <typename Client>
class ClientMap {
 public:
  using Entry = std::pair<std::string, std::shared_ptr<Client>>;
  using Factory = std::function<std::shared_ptr<Client>()>;

  // `make` makes the client find_or_add adds.
  explicit ClientMap(Factory make = [] { return std::make_shared<Client>(); })
      : make_(std::move(make)) {}

  std::shared_ptr<Client> find(std::string_view client_id) const {
    std::lock_guard lock(mutex_);
    auto it = clients_.find(client_id);
    return it == clients_.end() ? nullptr : it->second;
  }

  std::shared_ptr<Client> find_or_add(std::string_view client_id) {
    std::lock_guard lock(mutex_);
    auto it = clients_.find(client_id);
    if (it == clients_.end()) {
      it = clients_.emplace(std::string(client_id), make_()).first;
    }
    return it->second;
  }

  void add(std::string client_id, std::shared_ptr<Client> client) {
    std::lock_guard lock(mutex_);
    clients_.emplace(std::move(client_id), std::move(client));
  }

  // Every client, sorted by id, as of now.
  std::vector<Entry> all() const {
    std::lock_guard lock(mutex_);
    return std::vector<Entry>(clients_.begin(), clients_.end());
  }

 private:
  const Factory make_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Client>, std::less<>> clients_;
};

}  // namespace wal
