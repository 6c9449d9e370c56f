// DedupPolicy::kExact on etcd (a 1-member cluster): a message requeued
// behind later ones is written in its place, any id recorded before is a
// duplicate, checkpoints fold only up to the low-water mark and settle the
// window, and a late persist racing a checkpoint is neither lost nor folded
// twice.
#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "dedup/dedup_state.h"
#include "etcd/etcd_client.h"
#include "etcd/group_commit.h"
#include "etcd/key_layout.h"
#include "etcd/persist_txn.h"
#include "etcd_test_util.h"
#include "id_list_util.h"

namespace wal::testing {
namespace {

namespace pb = etcd::pb;

class EtcdExactDedupTest : public SharedEtcdTest {
 protected:
  EtcdOptions options(DedupPolicy policy = DedupPolicy::kExact, uint32_t threshold = 1000) const {
    EtcdOptions options = etcd_options(cluster_->client_urls(), prefix_, threshold);
    options.dedup.policy = policy;
    return options;
  }

  std::unique_ptr<EtcdPersistence> open(const EtcdOptions& options) const {
    return open_etcd(options, std::make_shared<ListStateInterpreter>());
  }
  std::unique_ptr<EtcdPersistence> open() const { return open(options()); }

  // The client's keys below its prefix ("max", "floor", "log/...") and values.
  std::map<std::string, std::string> client_keys(const std::string& client) {
    auto raw = etcd::EtcdClient::connect(options());
    EXPECT_TRUE(raw.is_ok()) << raw.status().to_string();
    std::map<std::string, std::string> keys;
    if (!raw.is_ok()) return keys;
    const std::string prefix = prefix_ + "/test/" + client + "/";
    pb::RangeRequest request;
    request.set_key(prefix);
    request.set_range_end(etcd::prefix_end(prefix));
    auto response = (*raw)->range(request);
    EXPECT_TRUE(response.is_ok()) << response.status().to_string();
    if (!response.is_ok()) return keys;
    for (const auto& kv : response->kvs()) keys[kv.key().substr(prefix.size())] = kv.value();
    return keys;
  }

  // The revision at which the service's ".batch" key last changed (only the
  // full form of a persist puts it).
  std::optional<int64_t> batch_key_revision(etcd::EtcdClient& raw) {
    pb::RangeRequest request;
    request.set_key(prefix_ + "/test/.batch");
    auto response = raw.range(request);
    EXPECT_TRUE(response.is_ok()) << response.status().to_string();
    if (!response.is_ok() || response->kvs_size() != 1) return std::nullopt;
    return response->kvs(0).mod_revision();
  }

  std::vector<uint64_t> log_ids(const std::string& client) {
    std::vector<uint64_t> ids;
    for (const auto& [key, value] : client_keys(client)) {
      if (key.starts_with("log/")) ids.push_back(*etcd::parse_padded_id(key.substr(4)));
    }
    return ids;
  }

  std::optional<etcd::FloorValue> floor_of(const std::string& client) {
    auto keys = client_keys(client);
    auto floor = keys.find("floor");
    if (floor == keys.end()) return std::nullopt;
    return etcd::parse_floor_value(floor->second);
  }

  std::string prefix_ = unique_prefix("exact");
};

// Issue 7's scenario: 5 fails and is requeued, 6 is written, 5 comes back.
TEST_F(EtcdExactDedupTest, RequeuedMessageIsWrittenInItsPlace) {
  expect_requeued_message_written_in_its_place(
      [&] { return std::unique_ptr<DataPersistence>(open()); });
  EXPECT_EQ(mark_of(*open(), "c"), 6u);
}

TEST_F(EtcdExactDedupTest, ARedeliveredIdTakesOneTransactionAndALateOneTwo) {
  auto log = open();
  for (uint64_t id : {1, 2, 4}) persist_id(*log, "c", id);
  int64_t before = transactions_answered(*cluster_);
  EXPECT_EQ(persist_id(*log, "c", 2), PersistOutcome::kDuplicate);
  EXPECT_EQ(transactions_answered(*cluster_) - before, 1) << "one read of max, floor and logs";
  before = transactions_answered(*cluster_);
  EXPECT_EQ(persist_id(*log, "c", 3), PersistOutcome::kWritten);
  EXPECT_EQ(transactions_answered(*cluster_) - before, 2) << "that read, then the late write";
}

TEST_F(EtcdExactDedupTest, HighWaterMarkPolicySkipsTheRequeuedMessage) {
  auto log = open(options(DedupPolicy::kHighWaterMark));
  for (uint64_t id : {1, 2, 3, 4, 6}) persist_id(*log, "c", id);
  EXPECT_EQ(persist_id(*log, "c", 5), PersistOutcome::kDuplicate);
  EXPECT_EQ(ids_in_state(*log, "c"), (std::vector<uint64_t>{1, 2, 3, 4, 6}));
  EXPECT_FALSE(client_keys("c").contains("floor"));
}

TEST_F(EtcdExactDedupTest, CheckpointFoldsOnlyUpToTheLowWaterMark) {
  auto log = open();
  for (uint64_t id : {1, 2, 3, 5, 6}) persist_id(*log, "c", id);
  ASSERT_TRUE(log->checkpoint("c").is_ok());
  EXPECT_EQ(floor_of("c"), (etcd::FloorValue{3, 1}));
  EXPECT_EQ(log_ids("c"), (std::vector<uint64_t>{5, 6})) << "above the gap: kept, unfolded";
  EXPECT_EQ(persist_id(*log, "c", 2), PersistOutcome::kDuplicate) << "folded, still known";
  EXPECT_EQ(persist_id(*log, "c", 4), PersistOutcome::kWritten);
  EXPECT_EQ(ids_in_state(*log, "c"), id_range(1, 6));
  ASSERT_TRUE(log->checkpoint("c").is_ok());
  EXPECT_EQ(floor_of("c"), (etcd::FloorValue{6, 1}));
  EXPECT_TRUE(log_ids("c").empty());
  EXPECT_EQ(ids_in_state(*open(), "c"), id_range(1, 6));
}

TEST_F(EtcdExactDedupTest, ACheckpointSettlesTheWindowAndIdsBelowItAreTooOld) {
  EtcdOptions narrow = options();
  narrow.dedup.window = 10;
  auto log = open(narrow);
  persist_id(*log, "c", 1);
  for (uint64_t id = 3; id <= 25; ++id) persist_id(*log, "c", id);
  ASSERT_TRUE(log->checkpoint("c").is_ok());
  // Past the window the mark moved above 2, giving it up; 3..25 are duplicates.
  EXPECT_EQ(floor_of("c"), (etcd::FloorValue{25, 3}));
  EXPECT_EQ(persist_id(*log, "c", 2), PersistOutcome::kTooOld);
  EXPECT_EQ(persist_id(*log, "c", 3), PersistOutcome::kDuplicate);
  EXPECT_EQ(persist_id(*log, "c", 20), PersistOutcome::kDuplicate);
  EXPECT_EQ(persist_id(*log, "c", 26), PersistOutcome::kWritten);
  std::vector<uint64_t> expected = {1};
  for (uint64_t id = 3; id <= 26; ++id) expected.push_back(id);
  EXPECT_EQ(ids_in_state(*log, "c"), expected);
}

TEST_F(EtcdExactDedupTest, IdsBelowTheFirstMessageIdAreTooOld) {
  auto log = open();
  EXPECT_EQ(persist_id(*log, "c", 0), PersistOutcome::kTooOld);
  EXPECT_TRUE(client_keys("c").empty()) << "nothing written";
  EtcdOptions from_ten = options();
  from_ten.dedup.first_message_id = 10;
  log = open(from_ten);
  EXPECT_EQ(persist_id(*log, "c", 9), PersistOutcome::kTooOld);
  EXPECT_EQ(persist_id(*log, "c", 10), PersistOutcome::kWritten);
}

TEST_F(EtcdExactDedupTest, BatchesTakeLateIdsAndSkipRepeatsWithinThem) {
  auto log = open();
  persist_id(*log, "c", 4);
  std::vector<PersistRequest> batch;
  for (uint64_t id : {3, 1, 3, 2, 4, 5}) batch.push_back({"c", id_message(id), id});
  auto outcomes = log->persist_batch(batch);
  ASSERT_TRUE(outcomes.is_ok()) << outcomes.status().to_string();
  using enum PersistOutcome;
  EXPECT_EQ(*outcomes, (std::vector<PersistOutcome>{kWritten, kWritten, kDuplicate, kWritten,
                                                    kDuplicate, kWritten}));
  EXPECT_EQ(ids_in_state(*log, "c"), id_range(1, 5));
}

TEST_F(EtcdExactDedupTest, TransactionsFullOfLateWritesStayWithinEtcdsOperationLimit) {
  // 80 clients with 3 late ids each: 240 late writes, more than one
  // transaction of etcd's default 128 operations holds.
  auto log = open();
  std::vector<PersistRequest> batch;
  for (int client = 0; client < 80; ++client) {
    const std::string id = "c" + std::to_string(client);
    persist_id(*log, id, 10);
    for (uint64_t late : {7, 3, 5}) batch.push_back({id, id_message(late), late});
  }
  auto outcomes = log->persist_batch(batch);
  ASSERT_TRUE(outcomes.is_ok()) << outcomes.status().to_string();
  for (PersistOutcome outcome : *outcomes) EXPECT_EQ(outcome, PersistOutcome::kWritten);
  EXPECT_EQ(ids_in_state(*log, "c79"), (std::vector<uint64_t>{3, 5, 7, 10}));
}

TEST_F(EtcdExactDedupTest, RandomRedeliveriesMatchTheModelAcrossCheckpointsAndRestarts) {
  // Background checkpoints every 3 logs race the persists that fill gaps.
  std::mt19937_64 random(7);
  DedupOptions model_options;
  model_options.policy = DedupPolicy::kExact;
  std::map<std::string, DedupState> models;
  auto log = open(options(DedupPolicy::kExact, 3));
  for (int step = 0; step < 400; ++step) {
    const std::string client = "c" + std::to_string(random() % 3);
    const uint64_t id = 1 + random() % 150;
    auto& model = models.try_emplace(client, model_options).first->second;
    const bool fresh = model.classify(id) == DedupState::Verdict::kNew;
    if (fresh) model.record(id);
    ASSERT_EQ(persist_id(*log, client, id),
              fresh ? PersistOutcome::kWritten : PersistOutcome::kDuplicate)
        << "step " << step << ", client " << client << ", id " << id;
    if (step % 97 == 96) log = open(options(DedupPolicy::kExact, 3));
  }
  for (auto& [client, model] : models) {
    std::vector<uint64_t> expected;
    for (uint64_t id = 1; id <= 150; ++id) {
      if (model.classify(id) == DedupState::Verdict::kDuplicate) expected.push_back(id);
    }
    EXPECT_EQ(ids_in_state(*log, client), expected) << client;
  }
}

TEST_F(EtcdExactDedupTest, ALatePersistRacingCheckpointsIsNeitherLostNorFoldedTwice) {
  auto log = open();
  for (uint64_t id = 2; id <= 200; id += 2) persist_id(*log, "c", id);  // 1, 3, 5... missing
  std::atomic<bool> done{false};
  std::thread checkpointer([&] {
    while (!done) EXPECT_TRUE(log->checkpoint("c").is_ok());
  });
  for (uint64_t id = 1; id < 200; id += 2) {
    EXPECT_EQ(persist_id(*log, "c", id), PersistOutcome::kWritten) << id;
  }
  done = true;
  checkpointer.join();
  EXPECT_EQ(ids_in_state(*log, "c"), id_range(1, 200));
  ASSERT_TRUE(log->checkpoint("c").is_ok());
  EXPECT_EQ(floor_of("c"), (etcd::FloorValue{200, 1}));
  EXPECT_TRUE(log_ids("c").empty());
  EXPECT_EQ(ids_in_state(*open(), "c"), id_range(1, 200));
}

TEST_F(EtcdExactDedupTest, ALatePersistRacingACheckpointThatGivesItsIdUpIsNeverLost) {
  // Each late id lands just below the mark that the window moves to: a
  // checkpoint that read the client before it landed would give it up and
  // delete its log. Each must end written and kept, or too old and absent.
  EtcdOptions narrow = options();
  narrow.dedup.window = 10;
  auto log = open(narrow);
  std::atomic<bool> done{false};
  std::thread checkpointer([&] {
    while (!done) EXPECT_TRUE(log->checkpoint("c").is_ok());
  });
  std::vector<uint64_t> expected;
  for (uint64_t even = 2; even <= 600; even += 2) {
    EXPECT_EQ(persist_id(*log, "c", even), PersistOutcome::kWritten);
    expected.push_back(even);
    if (even < 12) continue;
    const uint64_t late = even - 11;
    const PersistOutcome outcome = persist_id(*log, "c", late);
    EXPECT_NE(outcome, PersistOutcome::kDuplicate) << late;
    if (outcome == PersistOutcome::kWritten) expected.push_back(late);
  }
  done = true;
  checkpointer.join();
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ids_in_state(*log, "c"), expected);
  EXPECT_EQ(ids_in_state(*open(narrow), "c"), expected);
}

TEST_F(EtcdExactDedupTest, ALateWriteForAClientStartedAgainBelowItWritesNothing) {
  // As when the client was cleared and its ids began again between the
  // round that found the id at or below max and the late write: the log
  // would sit above max, for an in-order persist to overwrite.
  auto log = open();
  for (uint64_t id : {1, 2, 3}) persist_id(*log, "c", id);
  auto raw = etcd::EtcdClient::connect(options());
  ASSERT_TRUE(raw.is_ok()) << raw.status().to_string();
  const std::string record = R"({"data": {"id": 50}, "_metadata": {"message_id": 50}})";
  const std::vector<etcd::LateWrite> late = {{prefix_ + "/test/c/", 50, &record}};
  auto response =
      (*raw)->txn(etcd::build_persist_txn({}, late, prefix_ + "/test/.batch", DedupPolicy::kExact));
  ASSERT_TRUE(response.is_ok()) << response.status().to_string();
  auto results = etcd::parse_persist_txn({}, late, *response);
  ASSERT_TRUE(results.is_ok()) << results.status().to_string();
  ASSERT_EQ(results->late_writes.size(), 1u);
  EXPECT_EQ(*results->late_writes[0], etcd::LateWriteResult::kCleared);
  EXPECT_EQ(log_ids("c"), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(persist_id(*log, "c", 50), PersistOutcome::kWritten);
  EXPECT_EQ(persist_id(*log, "c", 50), PersistOutcome::kDuplicate);
}

TEST_F(EtcdExactDedupTest, AnInstanceOfTheOtherPolicyWritesNothingOnceTheServiceRecordsOne) {
  // Both opened an empty service; the exact one recorded its policy.
  auto high_water_mark = open(options(DedupPolicy::kHighWaterMark));
  auto exact = open();
  persist_id(*exact, "c", 2);
  auto refused = high_water_mark->persist("c", id_message(1), 1);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument) << refused.status().to_string();
  EXPECT_NE(refused.status().message().find("dedup policy"), std::string::npos)
      << refused.status().to_string();
  ASSERT_TRUE(high_water_mark->checkpoint("c").is_ok());
  EXPECT_EQ(log_ids("c"), (std::vector<uint64_t>{2})) << "its checkpoint folded nothing";
  EXPECT_EQ(persist_id(*exact, "c", 1), PersistOutcome::kWritten);
  EXPECT_EQ(ids_in_state(*exact, "c"), (std::vector<uint64_t>{1, 2}));
}

TEST_F(EtcdExactDedupTest, AnInstanceThatSawAClientBeforeTheServiceRecordedAPolicyWritesNothing) {
  // It last saw the client's max below the next id: the optimistic form goes
  // first, and its policy compare fails as the full form's does.
  auto high_water_mark = open(options(DedupPolicy::kHighWaterMark));
  persist_id(*high_water_mark, "c", 1);
  ASSERT_TRUE(open(options(DedupPolicy::kHighWaterMark))->clear("c").is_ok());
  auto exact = open();  // the service is empty: it records its policy
  const int64_t before = transactions_answered(*cluster_);
  auto refused = high_water_mark->persist("c", id_message(2), 2);
  EXPECT_EQ(transactions_answered(*cluster_) - before, 2) << "the optimistic form, then the full";
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument) << refused.status().to_string();
  EXPECT_NE(refused.status().message().find("dedup policy"), std::string::npos)
      << refused.status().to_string();
  EXPECT_TRUE(client_keys("c").empty());
}

TEST_F(EtcdExactDedupTest, LateWritesOfLargeRecordsAreSpreadOverRequestsWithinEtcdsSizeLimit) {
  // 62 late records of 12 KB under a 200-byte client id: about 1.6 MB as
  // late writes in one request, more than etcd's 1.5 MiB.
  auto log = open();
  const std::string client(200, 'k');
  persist_id(*log, client, 1000);
  std::vector<PersistRequest> batch;
  for (uint64_t id = 1; id <= 62; ++id) {
    batch.push_back({client, Json{{"id", id}, {"pad", std::string(12000, 'p')}}, id});
  }
  auto outcomes = log->persist_batch(batch);
  ASSERT_TRUE(outcomes.is_ok()) << outcomes.status().to_string();
  for (PersistOutcome outcome : *outcomes) EXPECT_EQ(outcome, PersistOutcome::kWritten);
  std::vector<uint64_t> expected = id_range(1, 62);
  expected.push_back(1000);
  EXPECT_EQ(ids_in_state(*log, client), expected);
}

TEST_F(EtcdExactDedupTest, RepeatsOfAnIdGivenUpAreTooOldEachTime) {
  EtcdOptions narrow = options();
  narrow.dedup.window = 10;
  auto log = open(narrow);
  for (uint64_t id : {1, 30}) persist_id(*log, "c", id);
  ASSERT_TRUE(log->checkpoint("c").is_ok());
  std::vector<PersistRequest> batch = {{"c", id_message(5), 5}, {"c", id_message(5), 5}};
  auto outcomes = log->persist_batch(batch);
  ASSERT_TRUE(outcomes.is_ok()) << outcomes.status().to_string();
  EXPECT_EQ(*outcomes, (std::vector{PersistOutcome::kTooOld, PersistOutcome::kTooOld}));
}

TEST_F(EtcdExactDedupTest, ADamagedFloorFailsItsOwnClientsWritesAlone) {
  {
    auto log = open();
    persist_id(*log, "bad", 1);
  }
  auto raw = etcd::EtcdClient::connect(options());
  ASSERT_TRUE(raw.is_ok()) << raw.status().to_string();
  pb::PutRequest damage;
  damage.set_key(prefix_ + "/test/bad/floor");
  damage.set_value("not a floor");
  ASSERT_TRUE((*raw)->put(damage).is_ok());
  // One transaction: a redelivery for the damaged client, a new id for another.
  etcd::TxnLimits limits;
  limits.policy = DedupPolicy::kExact;
  etcd::GroupCommit commit(**raw, limits, prefix_ + "/test/.batch", prefix_ + "/test/.dedup",
                           [](const std::string&, size_t) {});
  const std::string bad = prefix_ + "/test/bad/", good = prefix_ + "/test/good/";
  const std::string record = R"({"data": {"id": 1}, "_metadata": {"message_id": 1}})";
  auto outcomes = commit.persist_all({{&bad, 1, &record}, {&good, 1, &record}});
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].status().code(), Code::kCorruption) << outcomes[0].status().to_string();
  EXPECT_NE(outcomes[0].status().message().find("bad/floor"), std::string::npos)
      << outcomes[0].status().to_string();
  ASSERT_TRUE(outcomes[1].is_ok()) << outcomes[1].status().to_string();
  EXPECT_EQ(*outcomes[1], PersistOutcome::kWritten);

  // The same in the optimistic form, once the commit has seen both clients'
  // max: the redelivery's reads fail it alone, in the one transaction.
  const std::string record5 = R"({"data": {"id": 5}, "_metadata": {"message_id": 5}})";
  const std::string record2 = R"({"data": {"id": 2}, "_metadata": {"message_id": 2}})";
  ASSERT_EQ(*commit.persist(bad, 5, record5), PersistOutcome::kWritten);
  const int64_t before = transactions_answered(*cluster_);
  const std::optional<int64_t> batch_revision = batch_key_revision(**raw);
  outcomes = commit.persist_all({{&bad, 1, &record}, {&good, 2, &record2}});
  EXPECT_EQ(transactions_answered(*cluster_) - before, 1);
  EXPECT_EQ(batch_key_revision(**raw), batch_revision) << "the full form puts .batch";
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].status().code(), Code::kCorruption) << outcomes[0].status().to_string();
  ASSERT_TRUE(outcomes[1].is_ok()) << outcomes[1].status().to_string();
  EXPECT_EQ(*outcomes[1], PersistOutcome::kWritten);
}

TEST_F(EtcdExactDedupTest, OpeningWithTheOtherPolicyIsRefused) {
  { persist_id(*open(), "c", 1); }
  EXPECT_EQ(*EtcdPersistence::stored_dedup_policy(options()), DedupPolicy::kExact);
  auto other = EtcdPersistence::open(std::make_shared<ListStateInterpreter>(),
                                     options(DedupPolicy::kHighWaterMark));
  ASSERT_FALSE(other.is_ok());
  EXPECT_EQ(other.status().code(), Code::kInvalidArgument);
  EXPECT_NE(other.status().message().find("--dedup exact"), std::string::npos)
      << other.status().to_string();

  prefix_ = unique_prefix("exact");
  { persist_id(*open(options(DedupPolicy::kHighWaterMark)), "c", 1); }
  EXPECT_EQ(*EtcdPersistence::stored_dedup_policy(options()), DedupPolicy::kHighWaterMark);
  auto exact = EtcdPersistence::open(std::make_shared<ListStateInterpreter>(), options());
  ASSERT_FALSE(exact.is_ok());
  EXPECT_EQ(exact.status().code(), Code::kInvalidArgument) << exact.status().to_string();
  EXPECT_NE(exact.status().message().find("--dedup high-water-mark"), std::string::npos)
      << exact.status().to_string();
}

TEST_F(EtcdExactDedupTest, ImportedMarkMakesEveryIdUpToItADuplicate) {
  auto log = open();
  ASSERT_TRUE(log->import_state("c", Json{{"messages", Json::array({id_message(9)})}}, 9).is_ok());
  EXPECT_EQ(floor_of("c"), (etcd::FloorValue{9, 1}));
  EXPECT_EQ(persist_id(*log, "c", 4), PersistOutcome::kDuplicate);
  EXPECT_EQ(persist_id(*log, "c", 11), PersistOutcome::kWritten);
  EXPECT_EQ(persist_id(*log, "c", 10), PersistOutcome::kWritten);
  EXPECT_EQ(ids_in_state(*log, "c"), (std::vector<uint64_t>{9, 10, 11}));
}

TEST_F(EtcdExactDedupTest, ClearForgetsTheFloorAndTheLateIds) {
  auto log = open();
  for (uint64_t id : {1, 2, 5}) persist_id(*log, "c", id);
  ASSERT_TRUE(log->checkpoint("c").is_ok());
  ASSERT_TRUE(log->clear("c").is_ok());
  EXPECT_TRUE(client_keys("c").empty());
  EXPECT_EQ(persist_id(*log, "c", 2), PersistOutcome::kWritten);
  EXPECT_EQ(ids_in_state(*log, "c"), (std::vector<uint64_t>{2}));
}

}  // namespace
}  // namespace wal::testing
