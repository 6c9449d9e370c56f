// EtcdPersistence on a 3-member etcd losing members: a SIGKILLed leader or
// follower during a stream of acknowledged persists loses and repeats
// nothing, and the member rejoins; with every member down persist fails
// clearly, acknowledges nothing, and works again once they are back.
#include <atomic>
#include <thread>

#include "etcd_test_util.h"

namespace wal::testing {
namespace {

using Clock = std::chrono::steady_clock;

class EtcdFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = etcd_skip_reason(); !why.empty()) GTEST_SKIP() << why;
    std::string error;
    cluster_ = EtcdCluster::start(3, &error);
    ASSERT_NE(cluster_, nullptr) << error;
  }

  EtcdOptions options(const std::vector<std::string>& endpoints) {
    EtcdOptions options = etcd_options(endpoints, "/failover", 50);
    options.dedup.policy = policy_;
    options.request_timeout = std::chrono::milliseconds(1000);
    options.operation_timeout = std::chrono::milliseconds(5000);
    // A background checkpoint may fail while a member is down; it is retried.
    options.on_warning = [this](const Status&) { ++warnings_; };
    return options;
  }

  // Two queue consumers, each persisting ids 1..kIds of its own client in
  // `order` (by default ascending) and acknowledging on success; a failed
  // persist is delivered again, as a queue would. They talk to `first` member
  // first, and `disrupt` runs once kDisruptAfter messages are acknowledged.
  void run_stream(int first, const std::function<void()>& disrupt,
                  std::vector<uint64_t> order = {}) {
    if (order.empty()) {
      for (uint64_t id = 1; id <= kIds; ++id) order.push_back(id);
    }
    constexpr int kConsumers = 2;
    std::vector<std::string> endpoints;
    for (int i = 0; i < cluster_->size(); ++i) {
      endpoints.push_back(cluster_->client_url((first + i) % cluster_->size()));
    }
    auto log = open_etcd(options(endpoints));
    ASSERT_NE(log, nullptr);
    std::atomic<uint64_t> acked{0};
    std::atomic<int64_t> last_ack_ns{Clock::now().time_since_epoch().count()};
    std::atomic<int64_t> longest_pause_ns{0};
    std::atomic<int> failures{0};
    std::vector<std::thread> consumers;
    for (int c = 0; c < kConsumers; ++c) {
      consumers.emplace_back([&, c] {
        const Clock::time_point give_up = Clock::now() + std::chrono::seconds(60);
        for (size_t next = 0; next < order.size() && Clock::now() < give_up;) {
          const uint64_t id = order[next];
          auto outcome = log->persist("consumer-" + std::to_string(c), sentence(id), id);
          if (!outcome.is_ok()) {
            ++failures;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;  // redelivered
          }
          const int64_t now = Clock::now().time_since_epoch().count();
          const int64_t pause = now - last_ack_ns.exchange(now);
          int64_t longest = longest_pause_ns.load();
          while (pause > longest && !longest_pause_ns.compare_exchange_weak(longest, pause)) {
          }
          ++acked;
          ++next;
        }
      });
    }
    while (acked < kDisruptAfter) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    longest_pause_ns = 0;
    disrupt();
    for (auto& consumer : consumers) consumer.join();
    std::cout << "longest pause between acknowledgements: "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::nanoseconds(longest_pause_ns.load()))
                     .count()
              << " ms; failed persists (redelivered): " << failures << "; warnings: " << warnings_
              << "\n";
    for (int c = 0; c < kConsumers; ++c) {
      // Every acknowledged message once, none twice, in id order.
      EXPECT_EQ(content_of(*log, "consumer-" + std::to_string(c)), sentences(1, kIds)) << c;
    }
  }

  // The restarted member serves linearizable reads again: it is back in the cluster.
  void expect_rejoined(int member) {
    ASSERT_TRUE(cluster_->restart(member)) << cluster_->log_tail(member);
    auto log = open_etcd(options({cluster_->client_url(member)}));
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(content_of(*log, "consumer-0"), sentences(1, kIds));
    EXPECT_EQ(*log->persist("consumer-0", sentence(kIds), kIds), PersistOutcome::kDuplicate);
  }

  static constexpr uint64_t kIds = 300;
  static constexpr uint64_t kDisruptAfter = 150;
  DedupPolicy policy_ = DedupPolicy::kHighWaterMark;
  std::unique_ptr<EtcdCluster> cluster_;
  std::atomic<int> warnings_{0};
};

// The member the client talks to is killed, so the client must fail over too.
TEST_F(EtcdFailoverTest, KilledLeaderLosesAndRepeatsNoAcknowledgedMessageAndRejoins) {
  const int leader = cluster_->wait_for_leader();
  ASSERT_GE(leader, 0);
  int killed = -1;
  run_stream(leader, [&] {
    killed = cluster_->leader();
    ASSERT_GE(killed, 0);
    cluster_->kill(killed);
  });
  EXPECT_GE(cluster_->wait_for_leader(), 0);
  expect_rejoined(killed);
}

// Under exact dedup, with every other message requeued behind the next one
// (2, 1, 4, 3, ...): half the persists are late writes while the leader dies.
TEST_F(EtcdFailoverTest, KilledLeaderLosesNoRequeuedMessageUnderExactDedup) {
  policy_ = DedupPolicy::kExact;
  const int leader = cluster_->wait_for_leader();
  ASSERT_GE(leader, 0);
  std::vector<uint64_t> requeued;
  for (uint64_t id = 1; id <= kIds; id += 2) requeued.insert(requeued.end(), {id + 1, id});
  int killed = -1;
  run_stream(
      leader,
      [&] {
        killed = cluster_->leader();
        ASSERT_GE(killed, 0);
        cluster_->kill(killed);
      },
      requeued);
  EXPECT_GE(cluster_->wait_for_leader(), 0);
  expect_rejoined(killed);
}

TEST_F(EtcdFailoverTest, KilledFollowerLosesAndRepeatsNoAcknowledgedMessageAndRejoins) {
  const int leader = cluster_->wait_for_leader();
  ASSERT_GE(leader, 0);
  const int follower = (leader + 1) % cluster_->size();
  int killed = -1;
  run_stream(follower, [&] {
    killed = cluster_->leader() == follower ? (follower + 1) % cluster_->size() : follower;
    cluster_->kill(killed);
  });
  expect_rejoined(killed);
}

TEST_F(EtcdFailoverTest, WithEveryMemberDownPersistFailsClearlyAndResumesWhenTheyReturn) {
  EtcdOptions options = this->options(cluster_->client_urls());
  options.operation_timeout = std::chrono::milliseconds(1500);
  auto log = open_etcd(options);
  ASSERT_NE(log, nullptr);
  ASSERT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
  for (int i = 0; i < cluster_->size(); ++i) cluster_->kill(i);

  const Clock::time_point start = Clock::now();
  auto outcome = log->persist("c", sentence(2), 2);
  const auto waited = Clock::now() - start;
  ASSERT_FALSE(outcome.is_ok());
  EXPECT_EQ(outcome.status().code(), Code::kIOError);
  EXPECT_NE(outcome.status().message().find("no member answered within 1500 ms"), std::string::npos)
      << outcome.status().to_string();
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_FALSE(log->retrieve("c").is_ok());

  for (int i = 0; i < cluster_->size(); ++i) cluster_->start_again(i);
  for (int i = 0; i < cluster_->size(); ++i) {
    ASSERT_TRUE(cluster_->wait_healthy(i, std::chrono::seconds(30))) << cluster_->log_tail(i);
  }
  // The same instance goes on (redelivering, as a queue would, while its
  // connections come back): message 2 was never acknowledged nor written.
  Result<PersistOutcome> resumed = Status::failed("not tried");
  for (const Clock::time_point give_up = Clock::now() + std::chrono::seconds(20);
       !resumed.is_ok() && Clock::now() < give_up;) {
    resumed = log->persist("c", sentence(2), 2);
  }
  ASSERT_TRUE(resumed.is_ok()) << resumed.status().to_string();
  EXPECT_EQ(*resumed, PersistOutcome::kWritten);
  EXPECT_EQ(content_of(*log, "c"), sentences(1, 2));
}

}  // namespace
}  // namespace wal::testing
