// EtcdPersistence on a 1-member etcd: the DataPersistence contract, and what
// is particular to etcd: the key layout, transactions within etcd's limits,
// retries, group commit, checkpoints in chunks, compaction, the quota, auth.
#include <atomic>
#include <functional>
#include <thread>

#include "data_persistence_contract.h"
#include "etcd/client_snapshot.h"
#include "etcd/etcd_client.h"
#include "etcd/key_layout.h"
#include "etcd/persist_txn.h"
#include "etcd_test_util.h"
#include "subprocess.h"

namespace wal::testing {
namespace {

namespace pb = etcd::pb;

struct EtcdBackend {
  static constexpr size_t kMaxRecordBytes = 512u << 10;

  std::string skip_reason() {
    std::string why;
    cluster = shared_etcd(&why);
    return why;
  }
  std::unique_ptr<DataPersistence> open(uint32_t threshold) {
    return open_etcd(etcd_options(cluster->client_urls(), prefix, threshold));
  }
  size_t max_record_bytes() const { return kMaxRecordBytes; }

  EtcdCluster* cluster = nullptr;
  std::string prefix = unique_prefix("contract");
};

INSTANTIATE_TYPED_TEST_SUITE_P(Etcd, DataPersistenceContract, EtcdBackend);

class EtcdPersistenceTest : public SharedEtcdTest {
 protected:
  void SetUp() override {
    SharedEtcdTest::SetUp();
    if (IsSkipped()) return;
    auto client = etcd::EtcdClient::connect(options());
    ASSERT_TRUE(client.is_ok()) << client.status().to_string();
    raw_ = std::move(client).value();
  }

  EtcdOptions options(uint32_t threshold = 100) const {
    return etcd_options(cluster_->client_urls(), prefix_, threshold);
  }

  // Every key under the test's prefix, with its value.
  std::map<std::string, std::string> all_keys() {
    pb::RangeRequest request;
    request.set_key(prefix_ + "/");
    request.set_range_end(etcd::prefix_end(prefix_ + "/"));
    auto response = raw_->range(request);
    EXPECT_TRUE(response.is_ok()) << response.status().to_string();
    std::map<std::string, std::string> keys;
    if (response.is_ok()) {
      for (const auto& kv : response->kvs()) keys[kv.key()] = kv.value();
    }
    return keys;
  }

  // The revision at which the service's ".batch" key last changed: only the
  // full form of a persist transaction puts it.
  int64_t batch_key_revision() {
    pb::RangeRequest request;
    request.set_key(prefix_ + "/test/.batch");
    auto response = raw_->range(request);
    EXPECT_TRUE(response.is_ok()) << response.status().to_string();
    return response.is_ok() && response->kvs_size() == 1 ? response->kvs(0).mod_revision() : 0;
  }

  int64_t transactions_answered() { return testing::transactions_answered(*cluster_); }

  int64_t current_revision() {
    auto status = raw_->status();
    EXPECT_TRUE(status.is_ok());
    return status.is_ok() ? status->header().revision() : 0;
  }

  std::string prefix_ = unique_prefix("etcd");
  std::unique_ptr<etcd::EtcdClient> raw_;
};

TEST_F(EtcdPersistenceTest, KeysFollowTheDocumentedLayout) {
  auto log = open_etcd(options());
  ASSERT_TRUE(log->persist("50%off", sentence(42), 42).is_ok());
  const auto keys = all_keys();
  const std::string client = prefix_ + "/test/50%25off/";
  ASSERT_EQ(keys.size(), 3u) << ::testing::PrintToString(keys);
  EXPECT_TRUE(keys.count(prefix_ + "/test/.batch"));
  ASSERT_TRUE(keys.count(client + "max"));
  EXPECT_TRUE(keys.at(client + "max").starts_with("00000000000000000042 "));
  ASSERT_TRUE(keys.count(client + "log/00000000000000000042"));
  EXPECT_EQ(
      keys.at(client + "log/00000000000000000042"),
      R"({"data": {"batch": 42, "content": "Sentence 42."}, "_metadata": {"message_id": 42}})");
}

TEST_F(EtcdPersistenceTest, ATransactionSentAgainAfterItLandedIsReportedWritten) {
  // As after a timeout whose request had in fact been committed.
  const std::string record = "{}";
  etcd::ClientWrite write;
  write.client_prefix = prefix_ + "/test/c/";
  write.token = "retry-token";
  write.ids = {1, 2};
  write.records = {&record, &record};
  const pb::TxnRequest request =
      etcd::build_persist_txn({write}, {}, prefix_ + "/test/.batch", DedupPolicy::kHighWaterMark);
  for (int send = 0; send < 2; ++send) {
    auto response = raw_->txn(request);
    ASSERT_TRUE(response.is_ok()) << response.status().to_string();
    auto results = etcd::parse_persist_txn({write}, {}, *response);
    ASSERT_TRUE(results.is_ok()) << results.status().to_string();
    EXPECT_TRUE(results->writes[0].written) << "send " << send;
  }
  // When a resend is refused, reading max tells whether an earlier send landed.
  auto reads = raw_->txn(etcd::build_max_reads({write}));
  ASSERT_TRUE(reads.is_ok()) << reads.status().to_string();
  EXPECT_EQ(*etcd::parse_max_reads({write}, *reads), std::vector<bool>{true});

  // Another writer's request with the same ids is a duplicate, and did not land.
  write.token = "other-token";
  EXPECT_EQ(*etcd::parse_max_reads({write}, *raw_->txn(etcd::build_max_reads({write}))),
            std::vector<bool>{false});
  auto response = raw_->txn(
      etcd::build_persist_txn({write}, {}, prefix_ + "/test/.batch", DedupPolicy::kHighWaterMark));
  auto results = etcd::parse_persist_txn({write}, {}, *response);
  EXPECT_FALSE(results->writes[0].written);
  EXPECT_EQ(results->writes[0].stored_max, 2u);
}

TEST_F(EtcdPersistenceTest, AnOptimisticTransactionWritesEveryClientOrNone) {
  const std::string record = "{}";
  const std::string batch_key = prefix_ + "/test/.batch";
  etcd::ClientWrite a{prefix_ + "/test/a/", "first", {1}, {&record}};
  etcd::ClientWrite b{prefix_ + "/test/b/", "first", {1, 2}, {&record, &record}};
  ASSERT_TRUE(raw_->txn(etcd::build_persist_txn({a, b}, {}, batch_key, DedupPolicy::kHighWaterMark))
                  ->succeeded());
  const auto before = all_keys();

  // Client b's max (2) is not below its first id (2): nothing is written.
  a = {prefix_ + "/test/a/", "second", {2}, {&record}};
  b = {prefix_ + "/test/b/", "second", {2, 3}, {&record, &record}};
  auto refused = raw_->txn(etcd::build_optimistic_persist_txn({a, b}, DedupPolicy::kHighWaterMark));
  ASSERT_TRUE(refused.is_ok()) << refused.status().to_string();
  EXPECT_FALSE(refused->succeeded());
  EXPECT_EQ(all_keys(), before);

  // The full form with the same writes then decides each client on its own.
  auto decided =
      raw_->txn(etcd::build_persist_txn({a, b}, {}, batch_key, DedupPolicy::kHighWaterMark));
  auto results = etcd::parse_persist_txn({a, b}, {}, *decided);
  ASSERT_TRUE(results.is_ok()) << results.status().to_string();
  EXPECT_TRUE(results->writes[0].written);
  EXPECT_FALSE(results->writes[1].written);
  EXPECT_EQ(results->writes[1].stored_max, 2u);

  // With every max below, every client is written, and no ".batch" put is needed.
  a = {prefix_ + "/test/a/", "third", {3}, {&record}};
  b = {prefix_ + "/test/b/", "third", {3, 4}, {&record, &record}};
  auto written = raw_->txn(etcd::build_optimistic_persist_txn({a, b}, DedupPolicy::kHighWaterMark));
  ASSERT_TRUE(written.is_ok()) << written.status().to_string();
  EXPECT_TRUE(written->succeeded());
  const auto after = all_keys();
  EXPECT_TRUE(after.at(prefix_ + "/test/a/max").starts_with("00000000000000000003 third"));
  EXPECT_TRUE(after.at(prefix_ + "/test/b/max").starts_with("00000000000000000004 third"));
  EXPECT_TRUE(after.count(prefix_ + "/test/b/log/00000000000000000004"));
  EXPECT_EQ(after.at(batch_key), "second");  // as the full form left it
}

TEST_F(EtcdPersistenceTest, AnOptimisticTransactionSentAgainAfterItLandedIsReportedWritten) {
  // Its resend finds its own max and fails; the full form with the same
  // tokens then reads them back.
  const std::string record = "{}";
  const std::string batch_key = prefix_ + "/test/.batch";
  etcd::ClientWrite write{prefix_ + "/test/c/", "first", {1}, {&record}};
  ASSERT_TRUE(
      raw_->txn(etcd::build_persist_txn({write}, {}, batch_key, DedupPolicy::kHighWaterMark))
          ->succeeded());
  write = {prefix_ + "/test/c/", "retry-token", {2, 3}, {&record, &record}};
  const pb::TxnRequest optimistic =
      etcd::build_optimistic_persist_txn({write}, DedupPolicy::kHighWaterMark);
  EXPECT_TRUE(raw_->txn(optimistic)->succeeded());
  EXPECT_FALSE(raw_->txn(optimistic)->succeeded());
  auto response =
      raw_->txn(etcd::build_persist_txn({write}, {}, batch_key, DedupPolicy::kHighWaterMark));
  auto results = etcd::parse_persist_txn({write}, {}, *response);
  ASSERT_TRUE(results.is_ok()) << results.status().to_string();
  EXPECT_TRUE(results->writes[0].written);
}

TEST_F(EtcdPersistenceTest, PersistsToAClientWhoseMaxIsKnownTakeOneOptimisticTransaction) {
  auto log = open_etcd(options());
  ASSERT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
  // The first persist of a client takes the full form: its max is not known yet.
  const int64_t full_form = batch_key_revision();
  EXPECT_EQ(full_form, current_revision());
  for (uint64_t id = 2; id <= 5; ++id) {
    const int64_t before = transactions_answered();
    ASSERT_EQ(*log->persist("c", sentence(id), id), PersistOutcome::kWritten);
    EXPECT_EQ(transactions_answered(), before + 1) << "one transaction for message " << id;
  }
  EXPECT_EQ(batch_key_revision(), full_form);
  // A redelivery at or below the max it saw is expected a duplicate: one
  // transaction reads the max, and writes nothing.
  for (uint64_t id : {5, 1}) {
    const int64_t before = transactions_answered();
    const int64_t revision = current_revision();
    EXPECT_EQ(*log->persist("c", sentence(id), id), PersistOutcome::kDuplicate);
    EXPECT_EQ(transactions_answered(), before + 1) << "one transaction for message " << id;
    EXPECT_EQ(current_revision(), revision);
  }
  EXPECT_EQ(batch_key_revision(), full_form);
  // Ids on both sides of the max it saw: the full form finds the first a
  // duplicate, then the other goes optimistically.
  const int64_t before = transactions_answered();
  auto outcomes = log->persist_batch({{"c", sentence(4), 4}, {"c", sentence(6), 6}});
  ASSERT_TRUE(outcomes.is_ok()) << outcomes.status().to_string();
  EXPECT_EQ(*outcomes, (std::vector{PersistOutcome::kDuplicate, PersistOutcome::kWritten}));
  EXPECT_EQ(transactions_answered(), before + 2);
  EXPECT_EQ(batch_key_revision(), current_revision() - 1);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 6));
}

TEST_F(EtcdPersistenceTest, AnotherInstancesWritesSendTheOptimisticFormBackToTheFullOne) {
  auto mine = open_etcd(options());
  auto other = open_etcd(options());
  persist_sentences(*mine, "c", 1, 2);
  persist_sentences(*other, "c", 3, 5);
  // This instance last saw max 2: id 4 is sent optimistically, refused by
  // its compare, and found a duplicate by the full form.
  const int64_t before = transactions_answered();
  EXPECT_EQ(*mine->persist("c", sentence(4), 4), PersistOutcome::kDuplicate);
  EXPECT_EQ(transactions_answered(), before + 2);
  // It has now seen max 5: id 6 goes optimistically, and is written.
  EXPECT_EQ(*mine->persist("c", sentence(6), 6), PersistOutcome::kWritten);
  EXPECT_EQ(transactions_answered(), before + 3);
  EXPECT_EQ(*other->persist("c", sentence(6), 6), PersistOutcome::kDuplicate);
  EXPECT_EQ(mark_of(*other, "c"), 6u);
  EXPECT_EQ((*other->retrieve("c"))["content"], sentences(1, 6));
}

TEST_F(EtcdPersistenceTest, AClientClearedByAnotherInstanceIsWrittenAgainFromAnyId) {
  auto mine = open_etcd(options());
  auto other = open_etcd(options());
  persist_sentences(*mine, "c", 1, 5);
  ASSERT_TRUE(other->clear("c").is_ok());
  // Above what this instance last saw: the optimistic compare fails on the
  // missing max, and the full form writes it.
  int64_t before = transactions_answered();
  EXPECT_EQ(*mine->persist("c", sentence(7), 7), PersistOutcome::kWritten);
  EXPECT_EQ(transactions_answered(), before + 2);
  ASSERT_TRUE(other->clear("c").is_ok());
  // At or below it: expected a duplicate, but the optimistic compare (max at
  // or above the id) fails on the missing max, and the full form writes it.
  before = transactions_answered();
  EXPECT_EQ(*mine->persist("c", sentence(2), 2), PersistOutcome::kWritten);
  EXPECT_EQ(transactions_answered(), before + 2);
  EXPECT_EQ(*mine->persist("c", sentence(3), 3), PersistOutcome::kWritten);
  EXPECT_EQ((*other->retrieve("c"))["content"], sentences(2, 3));
  // Cleared by this instance, the client starts again in the full form, at
  // once (one transaction) whatever its id.
  ASSERT_TRUE(mine->clear("c").is_ok());
  before = transactions_answered();
  EXPECT_EQ(*mine->persist("c", sentence(9), 9), PersistOutcome::kWritten);
  EXPECT_EQ(transactions_answered(), before + 1);
  EXPECT_EQ(batch_key_revision(), current_revision());
  EXPECT_EQ((*other->retrieve("c"))["content"], sentences(9, 9));
}

TEST_F(EtcdPersistenceTest, TransactionsFilledToEtcdsOperationLimitAreAccepted) {
  for (const DedupPolicy policy : {DedupPolicy::kHighWaterMark, DedupPolicy::kExact}) {
    SCOPED_TRACE(dedup_policy_name(policy));
    etcd::TxnLimits limits;  // etcd's defaults, as the test cluster runs
    limits.policy = policy;
    const std::string record = R"({"data": "x", "_metadata": {}})";
    const std::string clients = prefix_ + "/test/" + dedup_policy_name(policy) + "-c";
    // Many clients of one message, then one client with as many as fit.
    etcd::PersistTxnBuilder builder(limits);
    std::vector<etcd::ClientWrite> writes;
    for (int c = 0;; ++c) {
      const std::string prefix = clients + std::to_string(c) + "/";
      if (!builder.fits(true, 1, prefix.size(), record.size())) break;
      builder.add(true, 1, prefix.size(), record.size());
      writes.push_back({prefix, "t", {1}, {&record}});
    }
    etcd::ClientWrite& last = writes.back();
    while (builder.fits(false, last.ids.size() + 1, last.client_prefix.size(), record.size())) {
      builder.add(false, last.ids.size() + 1, last.client_prefix.size(), record.size());
      last.ids.push_back(last.ids.size() + 1);
      last.records.push_back(&record);
    }
    EXPECT_GT(writes.size(), 40u);
    const std::string batch_key = prefix_ + "/test/.batch";
    auto response = raw_->txn(etcd::build_persist_txn(writes, {}, batch_key, policy));
    ASSERT_TRUE(response.is_ok()) << response.status().to_string();
    // Sent again, every client takes its duplicate branch, with its reads.
    auto again = raw_->txn(etcd::build_persist_txn(writes, {}, batch_key, policy));
    ASSERT_TRUE(again.is_ok()) << again.status().to_string();

    // One message more is one operation too many for etcd.
    last.ids.push_back(last.ids.size() + 1);
    last.records.push_back(&record);
    for (auto& write : writes) write.client_prefix += "again/";
    auto refused = raw_->txn(etcd::build_persist_txn(writes, {}, batch_key, policy));
    EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
    EXPECT_NE(refused.status().message().find("too many operations"), std::string::npos)
        << refused.status().to_string();
  }
}

TEST_F(EtcdPersistenceTest, OptimisticTransactionsFilledToEtcdsOperationLimitAreAccepted) {
  const etcd::TxnLimits limits;  // etcd's defaults, as the test cluster runs
  const std::string record = "{}";
  const std::string policy_key = prefix_ + "/test/.dedup";
  // etcd accepts `writes` at exactly its limit, and refuses them grown by one.
  auto expect_the_limit = [&](DedupPolicy policy, std::vector<etcd::ClientWrite> writes,
                              const std::function<void(std::vector<etcd::ClientWrite>&)>& grow) {
    ASSERT_EQ(etcd::optimistic_persist_ops(writes, policy, true), limits.max_ops);
    auto accepted = raw_->txn(etcd::build_optimistic_persist_txn(writes, policy, policy_key));
    ASSERT_TRUE(accepted.is_ok()) << accepted.status().to_string();
    grow(writes);
    ASSERT_EQ(etcd::optimistic_persist_ops(writes, policy, true), limits.max_ops + 1);
    auto refused = raw_->txn(etcd::build_optimistic_persist_txn(writes, policy, policy_key));
    EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
    EXPECT_NE(refused.status().message().find("too many operations"), std::string::npos)
        << refused.status().to_string();
  };
  for (const DedupPolicy policy : {DedupPolicy::kHighWaterMark, DedupPolicy::kExact}) {
    SCOPED_TRACE(dedup_policy_name(policy));
    const std::string clients = prefix_ + "/test/" + dedup_policy_name(policy) + "-c";
    etcd::ClientWrite duplicate{clients + "dup/", "t", {1, 2}, {&record, &record}};
    duplicate.expected_duplicate = true;
    EXPECT_EQ(etcd::optimistic_persist_ops({duplicate}, policy, false),
              policy == DedupPolicy::kExact ? 3u : 1u);
    // A duplicate, new clients of one message, then one more message at a
    // time: the operations decide.
    std::vector<etcd::ClientWrite> writes = {duplicate};
    while (etcd::optimistic_persist_ops(writes, policy, true) + 2 <= limits.max_ops) {
      writes.push_back({clients + std::to_string(writes.size()) + "/", "t", {1}, {&record}});
    }
    while (etcd::optimistic_persist_ops(writes, policy, true) < limits.max_ops) {
      writes.back().ids.push_back(writes.back().ids.size() + 1);
      writes.back().records.push_back(&record);
    }
    expect_the_limit(policy, writes, [&](std::vector<etcd::ClientWrite>& more) {
      more.back().ids.push_back(more.back().ids.size() + 1);
      more.back().records.push_back(&record);
    });
  }
  // Duplicates alone under the high-water mark: a read each, so the
  // compares (one more, the policy's) decide.
  std::vector<etcd::ClientWrite> duplicates;
  auto add_duplicate = [&](std::vector<etcd::ClientWrite>& writes) {
    writes.push_back(
        {prefix_ + "/test/d" + std::to_string(writes.size()) + "/", "t", {1}, {&record}});
    writes.back().expected_duplicate = true;
  };
  while (duplicates.size() + 1 < limits.max_ops) add_duplicate(duplicates);
  expect_the_limit(DedupPolicy::kHighWaterMark, duplicates, add_duplicate);
}

TEST_F(EtcdPersistenceTest, ConcurrentPersistsShareTransactions) {
  constexpr int kThreads = 8;
  constexpr uint64_t kIds = 40;
  auto log = open_etcd(options());
  const int64_t before = current_revision();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t id = 1; id <= kIds; ++id) {
        ASSERT_EQ(*log->persist("c" + std::to_string(t), sentence(id), id),
                  PersistOutcome::kWritten);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  // Each transaction is one revision. The leader waits a moment for the
  // callers the last transaction released: without that, eight closed-loop
  // callers split into two alternating halves (4.3 to 5 persists a
  // transaction here, 7 to 8 with it).
  const int64_t transactions = current_revision() - before;
  EXPECT_LT(transactions, static_cast<int64_t>(kThreads * kIds) / 5);
  std::cout << kThreads * kIds << " persists in " << transactions << " transactions\n";
}

TEST_F(EtcdPersistenceTest, CheckpointFoldsLogsIntoChunksAndDeletesThem) {
  auto log = open_etcd(options(1000));
  const std::string part(400u << 10, 'p');  // the state grows past 1 MiB
  std::string expected;
  for (uint64_t id = 1; id <= 4; ++id) {
    ASSERT_TRUE(log->persist("c", Json{{"content", part + std::to_string(id)}}, id).is_ok());
    expected += (id > 1 ? " " : "") + part + std::to_string(id);
  }
  ASSERT_TRUE(log->checkpoint("c").is_ok());
  const std::string client = prefix_ + "/test/c/";
  auto keys = all_keys();
  size_t chunks = 0;
  for (const auto& [key, value] : keys) {
    EXPECT_FALSE(key.starts_with(client + "log/")) << key;
    if (key.starts_with(client + "ckpt/")) {
      ++chunks;
      EXPECT_LE(value.size(), 1u << 20);
    }
  }
  EXPECT_GE(chunks, 4u);
  EXPECT_EQ((*log->retrieve("c"))["content"], expected);

  // A second checkpoint replaces the first one's chunks.
  ASSERT_TRUE(log->persist("c", Json{{"content", "tail"}}, 5).is_ok());
  ASSERT_TRUE(log->checkpoint("c").is_ok());
  size_t chunks_after = 0;
  for (const auto& [key, value] : all_keys()) chunks_after += key.starts_with(client + "ckpt/");
  EXPECT_EQ(chunks_after, chunks);
  log.reset();
  log = open_etcd(options(1000));
  EXPECT_EQ((*log->retrieve("c"))["content"], expected + " tail");
  EXPECT_EQ(*log->persist("c", sentence(5), 5), PersistOutcome::kDuplicate);
}

TEST_F(EtcdPersistenceTest, ImportStateRecordsTheStateAndTheMarkAsACheckpoint) {
  auto log = open_etcd(options());
  const std::string big(1500u << 10, 'b');  // several chunks, some written ahead
  ASSERT_TRUE(log->import_state("c", Json{{"content", big}, {"batch", 9}}, 9).is_ok());
  ASSERT_TRUE(log->import_state("zero", Json{{"content", "z"}}, 0).is_ok());
  const std::string client = prefix_ + "/test/c/";
  size_t chunks = 0;
  for (const auto& [key, value] : all_keys()) {
    EXPECT_FALSE(key.starts_with(client + "log/")) << key;
    chunks += key.starts_with(client + "ckpt/");
  }
  EXPECT_GE(chunks, 3u);
  log.reset();
  log = open_etcd(options());
  EXPECT_EQ(*log->retrieve("c"), (Json{{"content", big}, {"batch", 9}}));
  EXPECT_EQ(mark_of(*log, "c"), 9u);
  EXPECT_EQ(mark_of(*log, "zero"), 0u);
  EXPECT_EQ(*log->persist("c", sentence(9), 9), PersistOutcome::kDuplicate);
  EXPECT_EQ(*log->persist("c", sentence(10), 10), PersistOutcome::kWritten);
  EXPECT_EQ((*log->retrieve("c"))["content"], big + " Sentence 10.");
  // A client with something recorded takes no import.
  auto again = log->import_state("c", Json{{"content", "x"}}, 20);
  EXPECT_EQ(again.code(), Code::kInvalidArgument);
  EXPECT_EQ(mark_of(*log, "c"), 10u);
}

TEST_F(EtcdPersistenceTest, AnUnfinishedImportIsRefusedByOpenAndStartsOverWhenBegunAgain) {
  auto log = open_etcd(options());
  ASSERT_TRUE(log->persist("old", sentence(1), 1).is_ok());
  EXPECT_EQ(log->begin_import("src").code(), Code::kInvalidArgument);  // not empty
  log.reset();

  EtcdOptions importing = options();
  importing.open_unfinished_import = true;
  ASSERT_TRUE(open_etcd(options())->clear("old").is_ok());
  log = open_etcd(importing);
  ASSERT_TRUE(log->begin_import("src").is_ok());
  ASSERT_TRUE(log->import_state("half", Json{{"content", "h"}}, 3).is_ok());
  log.reset();
  auto refused = EtcdPersistence::open(std::make_shared<ConsumerStateInterpreter>(), options());
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("unfinished import"), std::string::npos)
      << refused.status().to_string();

  log = open_etcd(importing);
  ASSERT_TRUE(log->begin_import("src").is_ok());  // starts over: "half" goes
  ASSERT_TRUE(log->import_state("whole", Json{{"content", "w"}}, 4).is_ok());
  ASSERT_TRUE(log->finish_import().is_ok());
  log.reset();
  log = open_etcd(options());
  auto clients = log->clients();
  ASSERT_TRUE(clients.is_ok());
  ASSERT_EQ(clients->size(), 1u);
  EXPECT_EQ((*clients)[0].client_id, "whole");
  EXPECT_EQ(content_of(*log, "whole"), "w");
}

TEST_F(EtcdPersistenceTest, CheckpointsHappenInTheBackgroundAtTheThreshold) {
  auto log = open_etcd(options(5));
  for (uint64_t id = 1; id <= 5; ++id) ASSERT_TRUE(log->persist("c", sentence(id), id).is_ok());
  const std::string checkpoint = prefix_ + "/test/c/ckpt";
  for (int i = 0; i < 200 && !all_keys().count(checkpoint); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(all_keys().count(checkpoint));
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 5));
}

TEST_F(EtcdPersistenceTest, CompactionDropsRevisionsOlderThanTheLastInterval) {
  EtcdOptions options = this->options();
  options.compaction_interval = std::chrono::milliseconds(100);
  auto log = open_etcd(options);
  ASSERT_TRUE(log->persist("c", sentence(1), 1).is_ok());
  const int64_t old_revision = current_revision();
  ASSERT_TRUE(log->persist("c", sentence(2), 2).is_ok());
  pb::RangeRequest old_read;
  old_read.set_key(prefix_ + "/");
  old_read.set_revision(old_revision);
  bool compacted = false;
  for (int i = 0; i < 100 && !compacted; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    compacted = etcd::is_compacted(raw_->range(old_read).status());
  }
  EXPECT_TRUE(compacted);
  EXPECT_EQ((*log->retrieve("c"))["content"], sentences(1, 2));
}

TEST_F(EtcdPersistenceTest, FailsOverFromAMemberThatDoesNotAnswer) {
  EtcdOptions options = this->options();
  options.endpoints = {"http://127.0.0.1:" + std::to_string(free_port()), cluster_->client_url(0)};
  auto log = open_etcd(options);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
}

TEST_F(EtcdPersistenceTest, OpenFailsClearlyWhenNoMemberAnswers) {
  EtcdOptions options = this->options();
  options.endpoints = {"127.0.0.1:" + std::to_string(free_port())};
  options.operation_timeout = std::chrono::milliseconds(500);
  auto log = EtcdPersistence::open(std::make_shared<ConsumerStateInterpreter>(), options);
  ASSERT_FALSE(log.is_ok());
  EXPECT_EQ(log.status().code(), Code::kIOError);
  EXPECT_NE(log.status().message().find("no member answered within 500 ms"), std::string::npos)
      << log.status().to_string();
}

TEST_F(EtcdPersistenceTest, BadOptionsAreRefused) {
  auto open_with = [&](auto change) {
    EtcdOptions options = this->options();
    change(options);
    return EtcdPersistence::open(std::make_shared<ConsumerStateInterpreter>(), options)
        .status()
        .code();
  };
  EXPECT_EQ(open_with([](EtcdOptions& o) { o.endpoints.clear(); }), Code::kInvalidArgument);
  EXPECT_EQ(open_with([](EtcdOptions& o) { o.endpoints = {"ftp://x:1"}; }), Code::kInvalidArgument);
  EXPECT_EQ(open_with([](EtcdOptions& o) { o.checkpoint_threshold = 0; }), Code::kInvalidArgument);
  EXPECT_EQ(open_with([](EtcdOptions& o) { o.max_record_bytes = 1u << 20; }),
            Code::kInvalidArgument);
  EXPECT_EQ(open_with([](EtcdOptions& o) { o.service_name = ""; }), Code::kInvalidArgument);
  EXPECT_EQ(EtcdPersistence::open(nullptr, options()).status().code(), Code::kInvalidArgument);
}

// etcd past its quota raises the NOSPACE alarm and refuses writes.
TEST(EtcdQuotaTest, AFullQuotaIsNoSpaceAndLosesNothingAcknowledged) {
  if (const std::string why = etcd_skip_reason(); !why.empty()) GTEST_SKIP() << why;
  std::string error;
  auto cluster = EtcdCluster::start(1, &error, {"--quota-backend-bytes=4194304"});
  ASSERT_NE(cluster, nullptr) << error;
  auto log = open_etcd(etcd_options(cluster->client_urls(), "/quota", 1000000));
  const std::string payload(300u << 10, 'q');
  uint64_t acknowledged = 0;
  Status refusal;
  for (uint64_t id = 1; id <= 100; ++id) {
    auto outcome = log->persist("c", Json{{"content", payload}}, id);
    if (!outcome.is_ok()) {
      refusal = outcome.status();
      break;
    }
    acknowledged = id;
  }
  ASSERT_FALSE(refusal.is_ok()) << "the quota was never reached";
  EXPECT_EQ(refusal.code(), Code::kNoSpace) << refusal.to_string();
  EXPECT_NE(refusal.message().find("database space exceeded"), std::string::npos);
  // Reads still work, and hold every acknowledged message. The refused one
  // may be there too, if an earlier send of it landed in a way its sender
  // could not see before the refusal (it was not acknowledged: a redelivery
  // finds it a duplicate).
  const std::optional<uint64_t> mark = mark_of(*log, "c");
  ASSERT_TRUE(mark);
  EXPECT_GE(*mark, acknowledged);
  EXPECT_LE(*mark, acknowledged + 1);
  auto state = log->retrieve("c");
  ASSERT_TRUE(state.is_ok()) << state.status().to_string();
  EXPECT_EQ((*state)["content"].get_ref<const std::string&>().size(),
            *mark * payload.size() + (*mark - 1));
}

TEST(EtcdAuthTest, UserNameAndPasswordArePassedToEtcd) {
  if (const std::string why = etcd_skip_reason(); !why.empty()) GTEST_SKIP() << why;
  std::string error;
  auto cluster = EtcdCluster::start(1, &error);
  ASSERT_NE(cluster, nullptr) << error;
  for (const auto& [path, body] : std::vector<std::pair<std::string, std::string>>{
           {"/v3/auth/role/add", R"({"name": "root"})"},
           {"/v3/auth/user/add", R"({"name": "root", "password": "s3cret"})"},
           {"/v3/auth/user/grant", R"({"user": "root", "role": "root"})"},
           {"/v3/auth/enable", "{}"}}) {
    const HttpReply reply = cluster->post(0, path, body);
    ASSERT_EQ(reply.status, 200) << path << ": " << reply.body;
  }
  EtcdOptions options = etcd_options(cluster->client_urls(), "/auth");
  options.username = "root";
  options.password = "wrong";
  auto refused = EtcdPersistence::open(std::make_shared<ConsumerStateInterpreter>(), options);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("authentication failed"), std::string::npos)
      << refused.status().to_string();

  options.password = "s3cret";
  auto log = open_etcd(options);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
  EXPECT_EQ((*log->retrieve("c"))["content"], "Sentence 1.");

  // Without a user, etcd refuses the write (the batch key's put is checked).
  options.username.clear();
  auto anonymous = EtcdPersistence::open(std::make_shared<ConsumerStateInterpreter>(), options);
  ASSERT_TRUE(anonymous.is_ok()) << anonymous.status().to_string();
  auto outcome = (*anonymous)->persist("c", sentence(2), 2);
  EXPECT_FALSE(outcome.is_ok());
  EXPECT_NE(outcome.status().message().find("user name is empty"), std::string::npos)
      << outcome.status().to_string();
  EXPECT_EQ((*log->retrieve("c"))["content"], "Sentence 1.");
}

// A CA, a server certificate for 127.0.0.1 and a client certificate, made
// with the openssl command; empty when there is no openssl.
std::string make_certificates(const fs::path& dir) {
  const std::string script = R"(set -e
cd ")" + dir.string() + R"("
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=wal-test-ca
for who in server client; do
  openssl req -newkey rsa:2048 -nodes -keyout $who.key -out $who.csr -subj /CN=$who
done
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' > ext
for who in server client; do
  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $who.pem -days 2 -extfile ext
done
)";
  const ProcessResult made = run_process({"/bin/sh", "-c", script}, "");
  return made.exit_code == 0 ? "" : "openssl failed: " + made.err;
}

TEST(EtcdTlsTest, HttpsEndpointsUseTheGivenCaAndClientCertificate) {
  if (const std::string why = etcd_skip_reason(); !why.empty()) GTEST_SKIP() << why;
  if (run_process({"/bin/sh", "-c", "command -v openssl"}, "").exit_code != 0) {
    GTEST_SKIP() << "no openssl command to make test certificates (Debian's openssl)";
  }
  TempDir certs;
  const std::string made = make_certificates(certs.path());
  ASSERT_EQ(made, "");
  const std::string dir = certs.str() + "/";
  std::string error;
  auto cluster =
      EtcdCluster::start(1, &error,
                         {"--cert-file=" + dir + "server.pem", "--key-file=" + dir + "server.key",
                          "--client-cert-auth", "--trusted-ca-file=" + dir + "ca.pem"},
                         "https");
  ASSERT_NE(cluster, nullptr) << error;
  ASSERT_TRUE(cluster->client_url(0).starts_with("https://"));

  EtcdOptions options = etcd_options(cluster->client_urls(), "/tls");
  options.tls = {dir + "ca.pem", dir + "client.pem", dir + "client.key"};
  auto log = open_etcd(options);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(*log->persist("c", sentence(1), 1), PersistOutcome::kWritten);
  EXPECT_EQ((*log->retrieve("c"))["content"], "Sentence 1.");

  // Without the client certificate, or trusting only the system's CAs, no member answers.
  options.operation_timeout = std::chrono::milliseconds(500);
  for (const EtcdTlsOptions& tls : {EtcdTlsOptions{dir + "ca.pem", "", ""},
                                    EtcdTlsOptions{"", dir + "client.pem", dir + "client.key"}}) {
    options.tls = tls;
    auto refused = EtcdPersistence::open(std::make_shared<ConsumerStateInterpreter>(), options);
    EXPECT_FALSE(refused.is_ok());
  }
  options.tls = {dir + "missing.pem", "", ""};
  EXPECT_EQ(
      EtcdPersistence::open(std::make_shared<ConsumerStateInterpreter>(), options).status().code(),
      Code::kNotFound);
}

}  // namespace
}  // namespace wal::testing
