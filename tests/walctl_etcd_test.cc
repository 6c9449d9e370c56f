// walctl --backend etcd end to end, against the test binary's 1-member etcd.
#include "etcd_test_util.h"
#include "subprocess.h"
#include "test_util.h"

namespace wal::testing {
namespace {

class WalctlEtcdTest : public SharedEtcdTest {
 protected:
  ProcessResult walctl(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {WALCTL_PATH, "--backend", "etcd", "--endpoints",
                               cluster_->client_url(0), "--prefix", prefix_});
    return run_process(args, input);
  }

  std::string prefix_ = unique_prefix("walctl");
};

TEST_F(WalctlEtcdTest, PersistRetrieveClientsAndClearWork) {
  auto first = walctl({"persist", "c1", "5", R"({"content": "hello"})"});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "{\"outcome\":\"written\"}\n");
  EXPECT_EQ(walctl({"persist", "c1", "5", R"({"content": "hello"})"}).out,
            "{\"outcome\":\"duplicate\"}\n");
  EXPECT_EQ(walctl({"persist", "c1", "6"}, R"({"content": "world"})").out,
            "{\"outcome\":\"written\"}\n");
  EXPECT_EQ(walctl({"retrieve", "c1"}).out, "{\"content\":\"hello world\"}\n");
  EXPECT_EQ(walctl({"clients"}).out, "{\"client\":\"c1\",\"max_message_id\":6}\n");
  EXPECT_EQ(walctl({"clear", "c1"}).out, "{\"cleared\":\"c1\"}\n");
  EXPECT_EQ(walctl({"clients"}).out, "");
  EXPECT_EQ(walctl({"retrieve", "c1"}).out, "{\"content\":\"\"}\n");
}

TEST_F(WalctlEtcdTest, IngestPrintsEachOutcomeOnceDurable) {
  auto result = walctl({"ingest"}, R"({"client": "a", "id": 1, "data": {"content": "x"}}
{"client": "a", "id": 1, "data": {"content": "x"}}
{"client": "b", "id": "7", "data": "y"}
)");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "{\"line\":1,\"client\":\"a\",\"id\":1,\"outcome\":\"written\"}\n"
            "{\"line\":2,\"client\":\"a\",\"id\":1,\"outcome\":\"duplicate\"}\n"
            "{\"line\":3,\"client\":\"b\",\"id\":7,\"outcome\":\"written\"}\n");
  EXPECT_EQ(walctl({"retrieve", "b"}).out, "{\"content\":\"y\"}\n");
}

TEST_F(WalctlEtcdTest, ExactDedupIsRecordedInTheServiceAndFoundByDefault) {
  for (const char* id : {"1", "2", "4"}) {
    auto written = walctl({"--dedup", "exact", "persist", "c", id, R"({"content": "m"})"});
    EXPECT_EQ(written.out, "{\"outcome\":\"written\"}\n") << written.err;
  }
  // --dedup auto (the default) reads the policy from the service.
  EXPECT_EQ(walctl({"persist", "c", "3", R"({"content": "late"})"}).out,
            "{\"outcome\":\"written\"}\n");
  EXPECT_EQ(walctl({"persist", "c", "3", R"({"content": "late"})"}).out,
            "{\"outcome\":\"duplicate\"}\n");
  EXPECT_EQ(walctl({"retrieve", "c"}).out, "{\"content\":\"m m late m\"}\n");
  auto other = walctl({"--dedup", "high-water-mark", "clients"});
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("--dedup exact"), std::string::npos) << other.err;
  const TempDir target;
  auto convert = walctl({"convert", "--to", (target.path() / "out").string()});
  EXPECT_EQ(convert.exit_code, 2);
  EXPECT_NE(convert.err.find("does not carry over"), std::string::npos) << convert.err;
}

TEST_F(WalctlEtcdTest, UnreachableClusterIsAnIoErrorWithExitCode3) {
  auto result = run_process(
      {WALCTL_PATH, "--backend", "etcd", "--endpoints",
       "http://127.0.0.1:" + std::to_string(free_port()), "--etcd-timeout", "300", "clients"},
      "");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("no member answered"), std::string::npos) << result.err;
}

TEST_F(WalctlEtcdTest, InspectAndVerifyNeedTheLocalBackend) {
  for (const char* command : {"inspect", "verify"}) {
    auto result = walctl({command});
    EXPECT_EQ(result.exit_code, 2) << command;
    EXPECT_NE(result.err.find("local data directory"), std::string::npos) << result.err;
  }
}

// ---- convert ------------------------------------------------------------------------

class WalctlEtcdConvertTest : public WalctlEtcdTest {
 protected:
  // walctl on a local directory.
  ProcessResult local(const std::string& dir, std::vector<std::string> args) {
    args.insert(args.begin(), {WALCTL_PATH, "--dir", dir, "--layout", "auto"});
    return run_process(args, "");
  }
  std::string dir(const std::string& name) const { return (temp_.path() / name).string(); }

  TempDir temp_;
};

TEST_F(WalctlEtcdConvertTest, LocalToEtcdAndBackKeepsStatesAndMarksForTheListInterpreter) {
  const std::string seed = dir("seed");
  for (int id = 1; id <= 4; ++id) {
    ASSERT_EQ(local(seed, {"--interpreter", "list", "persist", "c" + std::to_string(id % 2),
                           std::to_string(id), R"({"n": )" + std::to_string(id) + "}"})
                  .exit_code,
              0);
  }
  const std::string c0 = local(seed, {"--interpreter", "list", "retrieve", "c0"}).out;
  auto there = local(seed, {"--interpreter", "list", "convert", "--to-backend", "etcd",
                            "--to-endpoints", cluster_->client_url(0), "--to-prefix", prefix_});
  ASSERT_EQ(there.exit_code, 0) << there.err;
  EXPECT_NE(there.out.find("\"clients\":2"), std::string::npos) << there.out;
  EXPECT_EQ(walctl({"--interpreter", "list", "retrieve", "c0"}).out, c0);
  EXPECT_EQ(walctl({"clients"}).out,
            "{\"client\":\"c0\",\"max_message_id\":4}\n"
            "{\"client\":\"c1\",\"max_message_id\":3}\n");

  const std::string back = dir("back");
  auto home = walctl({"--interpreter", "list", "convert", "--to", back});
  ASSERT_EQ(home.exit_code, 0) << home.err;
  EXPECT_NE(home.out.find("\"to_layout\":\"segmented\""), std::string::npos) << home.out;
  EXPECT_EQ(local(back, {"--interpreter", "list", "retrieve", "c0"}).out, c0);
  for (const auto& persist : {std::vector<std::string>{"persist", "c0", "4", "{}"},
                              std::vector<std::string>{"persist", "c1", "3", "{}"}}) {
    std::vector<std::string> args = {"--interpreter", "list"};
    args.insert(args.end(), persist.begin(), persist.end());
    EXPECT_EQ(walctl(args).out, "{\"outcome\":\"duplicate\"}\n");
    EXPECT_EQ(local(back, args).out, "{\"outcome\":\"duplicate\"}\n");
  }
  EXPECT_EQ(walctl({"--interpreter", "list", "persist", "c0", "5", "{}"}).out,
            "{\"outcome\":\"written\"}\n");
}

TEST_F(WalctlEtcdConvertTest, NonEmptyEtcdTargetIsRefusedWithExitTwo) {
  ASSERT_EQ(walctl({"persist", "there", "1", R"({"content": "a"})"}).exit_code, 0);
  const std::string seed = dir("seed");
  ASSERT_EQ(local(seed, {"persist", "c", "1", R"({"content": "b"})"}).exit_code, 0);
  auto result = local(seed, {"convert", "--to-backend", "etcd", "--to-endpoints",
                             cluster_->client_url(0), "--to-prefix", prefix_});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("not empty"), std::string::npos) << result.err;
  EXPECT_EQ(walctl({"clients"}).out, "{\"client\":\"there\",\"max_message_id\":1}\n");
}

// What an interrupted convert into etcd leaves is refused by every open, and
// the next convert starts over.
TEST_F(WalctlEtcdConvertTest, UnfinishedImportIsRefusedUntilAConvertCompletesIt) {
  {
    EtcdOptions options = etcd_options({cluster_->client_url(0)}, prefix_);
    options.service_name = "walctl";
    options.open_unfinished_import = true;
    auto log = open_etcd(options);
    ASSERT_TRUE(log);
    ASSERT_TRUE(log->begin_import("a test").is_ok());
    ASSERT_TRUE(log->import_state("half", Json{{"content", "x"}}, 3).is_ok());
  }
  auto refused = walctl({"clients"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("unfinished import"), std::string::npos) << refused.err;

  const std::string seed = dir("seed");
  ASSERT_EQ(local(seed, {"persist", "c", "1", R"({"content": "b"})"}).exit_code, 0);
  auto converted = local(seed, {"convert", "--to-backend", "etcd", "--to-endpoints",
                                cluster_->client_url(0), "--to-prefix", prefix_});
  ASSERT_EQ(converted.exit_code, 0) << converted.err;
  EXPECT_EQ(walctl({"clients"}).out, "{\"client\":\"c\",\"max_message_id\":1}\n");
}

}  // namespace
}  // namespace wal::testing
