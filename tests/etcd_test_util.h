// Shared by the etcd tests: one 1-member cluster per test binary, a fresh
// key prefix per test, and opening EtcdPersistence on them.
#pragma once

#include <atomic>

#include "etcd_cluster.h"  // tools/local_etcd
#include "test_util.h"
#include "wal/etcd_persistence.h"

namespace wal::testing {

using local_etcd::etcd_skip_reason;
using local_etcd::EtcdCluster;
using local_etcd::free_port;
using local_etcd::HttpReply;

// The binary's 1-member cluster, started on first use; nullptr (and the
// reason) when etcd is missing or would not start.
inline EtcdCluster* shared_etcd(std::string* why) {
  static std::string error;
  static std::unique_ptr<EtcdCluster> cluster = EtcdCluster::start(1, &error);
  if (!cluster) *why = error;
  return cluster.get();
}

// A prefix no other test in this process uses.
inline std::string unique_prefix(const std::string& what) {
  static std::atomic<int> counter{0};
  return "/wal-test-" + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

// A test on the binary's shared 1-member cluster, skipped without etcd.
class SharedEtcdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    cluster_ = shared_etcd(&why);
    if (!cluster_) GTEST_SKIP() << why;
  }

  EtcdCluster* cluster_ = nullptr;
};

// Transactions member `i` has answered, from its gRPC metrics. A transaction
// whose compares fail, or that only reads, raises no revision: this counts it.
inline int64_t transactions_answered(const EtcdCluster& cluster, int i = 0) {
  const HttpReply reply = cluster.metrics(i);
  EXPECT_EQ(reply.status, 200) << reply.body;
  const std::string line = R"(grpc_server_handled_total{grpc_code="OK",grpc_method="Txn",)"
                           R"(grpc_service="etcdserverpb.KV",grpc_type="unary"} )";
  const size_t at = reply.body.find(line);
  return at == std::string::npos ? 0 : std::stoll(reply.body.substr(at + line.size()));
}

inline EtcdOptions etcd_options(const std::vector<std::string>& endpoints,
                                const std::string& prefix, uint32_t threshold = 100) {
  EtcdOptions options;
  options.endpoints = endpoints;
  options.prefix = prefix;
  options.service_name = "test";
  options.checkpoint_threshold = threshold;
  options.request_timeout = std::chrono::milliseconds(1000);
  options.operation_timeout = std::chrono::milliseconds(20000);
  options.on_warning = [](const Status& warning) {
    ADD_FAILURE() << "unexpected warning: " << warning.to_string();
  };
  return options;
}

inline std::unique_ptr<EtcdPersistence> open_etcd(
    const EtcdOptions& options,
    std::shared_ptr<StateInterpreter> interpreter = std::make_shared<ConsumerStateInterpreter>()) {
  auto log = EtcdPersistence::open(std::move(interpreter), options);
  EXPECT_TRUE(log.is_ok()) << log.status().to_string();
  return log.is_ok() ? std::move(log).value() : nullptr;
}

}  // namespace wal::testing
