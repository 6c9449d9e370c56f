// walctl --backend etcd end to end, against the test binary's 1-member etcd.
#include "etcd_test_util.h"
#include "subprocess.h"

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

}  // namespace
}  // namespace wal::testing
