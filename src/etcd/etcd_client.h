// EtcdClient: etcd's v3 gRPC API over a list of members, with failover.
//
// Each call goes to the member that answered last. When it does not answer
// (UNAVAILABLE, a deadline, "no leader", "leader changed") the call moves to
// the next member, and keeps going round with a short backoff until
// operation_timeout has passed. Other errors are the server's answer and are
// returned at once, mapped to a wal::Status.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "wal/etcd_persistence.h"
#include "wal/status.h"

namespace wal::etcd {

namespace pb = ::etcdserverpb;

class EtcdClient {
 public:
  // Builds one channel per endpoint and, with a user name, authenticates.
  // Connecting is lazy: a member that is down now may be used later.
  static Result<std::unique_ptr<EtcdClient>> connect(const EtcdOptions& options);
  ~EtcdClient();

  Result<pb::TxnResponse> txn(const pb::TxnRequest& request);
  Result<pb::RangeResponse> range(const pb::RangeRequest& request);
  // One key, outside any transaction (walbench's bare-etcd baseline).
  Result<pb::PutResponse> put(const pb::PutRequest& request);
  Result<pb::DeleteRangeResponse> delete_range(const pb::DeleteRangeRequest& request);
  Result<pb::CompactionResponse> compact(const pb::CompactionRequest& request);
  // The status of whichever member answers.
  Result<pb::StatusResponse> status();

  const std::vector<std::string>& endpoints() const { return urls_; }

 private:
  struct Endpoint;
  template <typename Response, typename Invoke>
  Result<Response> call(const char* what, Invoke invoke);
  Status authenticate(Endpoint& endpoint, std::chrono::steady_clock::time_point deadline);
  // Whether the member's channel is connected, or connects before long.
  bool connected(Endpoint& endpoint, std::chrono::steady_clock::time_point deadline);
  std::string token() const;

  explicit EtcdClient(const EtcdOptions& options);

  std::vector<std::string> urls_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::string username_;
  std::string password_;
  std::chrono::milliseconds request_timeout_;
  std::chrono::milliseconds operation_timeout_;
  std::atomic<size_t> current_{0};
  mutable std::mutex token_mutex_;
  std::string token_;
};

// True when the status says the revision read was compacted away meanwhile.
bool is_compacted(const Status& status);

}  // namespace wal::etcd
