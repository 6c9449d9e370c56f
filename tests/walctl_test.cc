// walctl end to end: the binary, run as an operator or a script would.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <map>
#include <thread>

#include "segmented/file_names.h"
#include "subprocess.h"
#include "test_util.h"

namespace wal::testing {
namespace {

class WalctlTest : public ::testing::Test {
 protected:
  ProcessResult walctl(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), layout_.begin(), layout_.end());
    args.insert(args.begin(), {WALCTL_PATH, "--dir", dir_.str()});
    return run_process(args, input);
  }
  // Puts a .wal.dedup.tmp in the directory, as a crash during the policy
  // file's first write leaves it, and checks that inspect reports it for
  // removal at open while neither inspect nor verify removes it. Returns
  // inspect's line for it.
  Json expect_dedup_temp_file_reported_and_kept() {
    const fs::path debris = dir_.path() / ".wal.dedup.tmp";
    write_bytes(debris, "exa");
    auto inspected = walctl({"inspect"});
    EXPECT_EQ(inspected.exit_code, 0) << inspected.err;
    Json described;
    for (const Json& line : json_lines(inspected.out)) {
      if (line.value("file", "") == ".wal.dedup.tmp") described = line;
    }
    EXPECT_EQ(described.value("removed_at_open", false), true) << inspected.out;
    auto verified = walctl({"verify"});
    EXPECT_EQ(verified.exit_code, 0) << verified.err << verified.out;
    EXPECT_TRUE(fs::exists(debris));
    return described;
  }

  // Most tests look at the seed layout's files; walctl's default is auto.
  std::vector<std::string> layout_ = {"--layout", "seed"};
  // Every non-empty stdout line, parsed.
  static std::vector<Json> json_lines(const std::string& out) {
    std::vector<Json> lines;
    size_t start = 0;
    while (start < out.size()) {
      size_t end = out.find('\n', start);
      if (end == std::string::npos) end = out.size();
      if (end > start) lines.push_back(Json::parse(out.substr(start, end - start)));
      start = end + 1;
    }
    return lines;
  }
  std::string client_folder(const std::string& client) const {
    return (dir_.path() / client).string();
  }
  // Persists one message to c1 and flips a byte of its log's JSON, so the
  // checksum no longer matches. Returns the log's path.
  fs::path persist_then_damage_the_log() {
    EXPECT_EQ(walctl({"persist", "c1", "1", R"({"content": "payload"})"}).exit_code, 0);
    const fs::path path =
        fs::path(client_folder("c1")) / only_file_with_prefix(client_folder("c1"), "log_");
    std::string bytes = read_bytes(path);
    bytes[bytes.find("payload")] = 'P';
    write_bytes(path, bytes);
    return path;
  }

  TempDir dir_;
};

// ---- persist ---------------------------------------------------------------------

TEST_F(WalctlTest, PersistPrintsWrittenThenDuplicate) {
  auto first = walctl({"persist", "c1", "5", R"({"content": "hello"})"});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "{\"outcome\":\"written\"}\n");
  auto again = walctl({"persist", "c1", "5", R"({"content": "hello"})"});
  EXPECT_EQ(again.out, "{\"outcome\":\"duplicate\"}\n");
  auto older = walctl({"persist", "c1", "4", R"({"content": "older"})"});
  EXPECT_EQ(older.out, "{\"outcome\":\"duplicate\"}\n");
}

TEST_F(WalctlTest, PersistReadsJsonFromStdinWithoutArgument) {
  auto result = walctl({"persist", "c1", "1"}, R"({"content": "from stdin"})");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(walctl({"retrieve", "c1"}).out, "{\"content\":\"from stdin\"}\n");
}

TEST_F(WalctlTest, NegativeIdIsAUsageErrorAndWritesNothing) {
  auto result = walctl({"persist", "c1", "-1", "{}"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("unsigned 64-bit integer"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty());
  EXPECT_FALSE(fs::exists(client_folder("c1")));
}

TEST_F(WalctlTest, NonNumericAndOverflowingIdsAreUsageErrors) {
  for (const char* id : {"abc", "1.5", "18446744073709551616", "", "+3", "0x10"}) {
    auto result = walctl({"persist", "c1", id, "{}"});
    EXPECT_EQ(result.exit_code, 2) << "id " << id;
  }
}

TEST_F(WalctlTest, LargestIdIsAccepted) {
  auto result = walctl({"persist", "c1", "18446744073709551615", R"({"content": "max"})"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(json_lines(walctl({"clients"}).out)[0]["max_message_id"].get<uint64_t>(),
            18446744073709551615u);
}

TEST_F(WalctlTest, HostileClientIdIsRefusedAndNothingIsCreatedOutside) {
  for (const char* client : {"../escape", "a/b", "..", ".hidden"}) {
    auto result = walctl({"persist", client, "1", R"({"content": "x"})"});
    EXPECT_EQ(result.exit_code, 2) << client;
    EXPECT_NE(result.err.find("client id"), std::string::npos) << result.err;
  }
  EXPECT_FALSE(fs::exists(dir_.path().parent_path() / "escape"));
}

TEST_F(WalctlTest, MalformedJsonIsAUsageErrorNamingTheByte) {
  auto result = walctl({"persist", "c1", "1", R"({"content": )"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("invalid JSON at byte"), std::string::npos) << result.err;
}

// ---- retrieve, clear, clients ----------------------------------------------------

TEST_F(WalctlTest, RetrieveMergesInIdOrderAcrossCheckpoints) {
  for (int id = 1; id <= 5; ++id) {
    auto result = walctl({"persist", "c1", std::to_string(id), sentence(id).dump()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
  auto state = walctl({"retrieve", "c1"});
  EXPECT_EQ(Json::parse(state.out)["content"], sentences(1, 5));
}

TEST_F(WalctlTest, RetrieveOfUnknownClientIsEmptyAndCreatesNothing) {
  auto result = walctl({"retrieve", "nobody"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "{\"content\":\"\"}\n");
  EXPECT_FALSE(fs::exists(client_folder("nobody")));
}

TEST_F(WalctlTest, ClearForgetsTheClient) {
  ASSERT_EQ(walctl({"persist", "c1", "7", R"({"content": "x"})"}).exit_code, 0);
  auto cleared = walctl({"clear", "c1"});
  EXPECT_EQ(cleared.exit_code, 0) << cleared.err;
  EXPECT_EQ(walctl({"retrieve", "c1"}).out, "{\"content\":\"\"}\n");
  EXPECT_EQ(walctl({"persist", "c1", "1", R"({"content": "again"})"}).out,
            "{\"outcome\":\"written\"}\n");
}

TEST_F(WalctlTest, ClientsListsEveryClientWithItsHighestId) {
  ASSERT_EQ(walctl({"persist", "b", "3", "{}"}).exit_code, 0);
  ASSERT_EQ(walctl({"persist", "a", "9", "{}"}).exit_code, 0);
  const std::vector<Json> lines = json_lines(walctl({"clients"}).out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], Json::parse(R"({"client": "a", "max_message_id": 9})"));
  EXPECT_EQ(lines[1], Json::parse(R"({"client": "b", "max_message_id": 3})"));
}

TEST_F(WalctlTest, DirectoryComesFromWalDirWhenNoFlagIsGiven) {
  auto result =
      run_process({WALCTL_PATH, "persist", "c1", "1", "{}"}, "", {"WAL_DIR=" + dir_.str()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(fs::exists(dir_.path() / "LAYOUT"));  // a new directory: segmented
}

TEST_F(WalctlTest, LockedDirectoryExitsWithFour) {
  auto held = open_log(options_for(dir_.path()));
  auto result = walctl({"persist", "c1", "1", "{}"});
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_NE(result.err.find("locked"), std::string::npos) << result.err;
}

TEST_F(WalctlTest, UnknownCommandIsAUsageError) {
  auto result = walctl({"frobnicate"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("usage"), std::string::npos) << result.err;
}

// ---- --interpreter ----------------------------------------------------------------

TEST_F(WalctlTest, InterpreterOptionChoosesHowEveryCommandMerges) {
  const std::string ingest_input = R"({"client": "c", "id": 1, "data": {"a": 1, "b": {"c": 2}}})"
                                   "\n"
                                   R"({"client": "c", "id": 2, "data": {"b": {"c": null}}})"
                                   "\n";
  const std::map<std::string, std::string> expected = {
      {"consumer", R"({"content":"","a":1,"b":{"c":null}})"},
      {"merge-patch", R"({"a":1,"b":{}})"},
      {"list", R"({"messages":[{"a":1,"b":{"c":2}},{"b":{"c":null}}]})"},
      {"latest", R"({"message_id":2,"data":{"b":{"c":null}}})"},
  };
  for (const auto& [name, state] : expected) {
    ASSERT_EQ(walctl({"clear", "c"}).exit_code, 0);
    const std::vector<std::string> global = {"--interpreter", name, "--checkpoint-threshold", "1"};
    auto with = [&](std::vector<std::string> args) {
      args.insert(args.begin(), global.begin(), global.end());
      return args;
    };
    auto ingested = walctl(with({"ingest"}), ingest_input);
    ASSERT_EQ(ingested.exit_code, 0) << name << ": " << ingested.err;
    auto retrieved = walctl(with({"retrieve", "c"}));
    EXPECT_EQ(retrieved.out, state + "\n") << name << ": " << retrieved.err;
    auto verified = walctl(with({"verify"}));
    EXPECT_EQ(verified.exit_code, 0) << name << ": " << verified.err;
    auto persisted = walctl(with({"persist", "c", "3", R"({"z": true})"}));
    EXPECT_EQ(persisted.out, "{\"outcome\":\"written\"}\n") << name << ": " << persisted.err;
  }
}

// ---- dedup ---------------------------------------------------------------------

TEST_F(WalctlTest, ExactDedupWritesALateIdAndLaterCommandsFollowTheDirectory) {
  layout_ = {"--layout", "segmented"};
  const std::vector<std::string> list = {"--interpreter", "list"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), list.begin(), list.end());
    return args;
  };
  EXPECT_EQ(walctl(with({"--dedup", "exact", "persist", "c", "6", "6"})).out,
            "{\"outcome\":\"written\"}\n");
  // --dedup auto (the default) reads the policy the directory records.
  auto late = walctl(with({"persist", "c", "5", "5"}));
  EXPECT_EQ(late.out, "{\"outcome\":\"written\"}\n") << late.err;
  EXPECT_EQ(walctl(with({"persist", "c", "5", "5"})).out, "{\"outcome\":\"duplicate\"}\n");
  EXPECT_EQ(walctl(with({"retrieve", "c"})).out, "{\"messages\":[5,6]}\n");
  auto verified = walctl(with({"verify"}));
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  bool policy_described = false;
  for (const Json& line : json_lines(walctl({"inspect"}).out)) {
    if (line.value("file", "") != ".wal.dedup") continue;
    policy_described = true;
    EXPECT_EQ(line["kind"], "dedup-policy") << line;
    EXPECT_EQ(line["policy"], "exact") << line;
  }
  EXPECT_TRUE(policy_described);

  auto other = walctl(with({"--dedup", "high-water-mark", "persist", "c", "4", "4"}));
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("--dedup exact"), std::string::npos) << other.err;
}

TEST_F(WalctlTest, IdBelowTheExactWindowIsTooOld) {
  layout_ = {"--layout", "segmented"};
  const std::vector<std::string> exact = {"--dedup", "exact", "--dedup-window", "10"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), exact.begin(), exact.end());
    return args;
  };
  ASSERT_EQ(walctl(with({"persist", "c", "1", "{}"})).exit_code, 0);
  ASSERT_EQ(walctl(with({"persist", "c", "30", "{}"})).exit_code, 0);
  EXPECT_EQ(walctl(with({"persist", "c", "5", "{}"})).out, "{\"outcome\":\"too-old\"}\n");
  auto ingested = walctl(with({"ingest"}), R"({"client": "c", "id": 4, "data": {}})"
                                           "\n");
  EXPECT_NE(ingested.out.find("\"outcome\":\"too-old\""), std::string::npos) << ingested.out;
}

TEST_F(WalctlTest, DefaultInterpreterIsConsumer) {
  ASSERT_EQ(walctl({"persist", "c", "1", R"({"content": "x", "k": 1})"}).exit_code, 0);
  EXPECT_EQ(walctl({"retrieve", "c"}).out,
            walctl({"--interpreter", "consumer", "retrieve", "c"}).out);
}

TEST_F(WalctlTest, MessageTheInterpreterRefusesIsAUsageError) {
  auto result = walctl({"--interpreter", "merge-patch", "persist", "c", "1", "[1]"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("merge patch"), std::string::npos) << result.err;
}

TEST_F(WalctlTest, UnknownInterpreterIsAUsageErrorListingTheNames) {
  auto result = walctl({"--interpreter", "lastest", "retrieve", "c"});
  EXPECT_EQ(result.exit_code, 2);
  for (const char* name : {"lastest", "consumer", "merge-patch", "list", "latest"}) {
    EXPECT_NE(result.err.find(name), std::string::npos) << name << " in " << result.err;
  }
  EXPECT_TRUE(result.out.empty());
}

// ---- ingest ----------------------------------------------------------------------

TEST_F(WalctlTest, IngestPrintsOneOutcomePerMessage) {
  auto result = walctl({"ingest"}, R"({"client": "a", "id": 1, "data": {"content": "one"}})"
                                   "\n"
                                   R"({"client": "a", "id": 1, "data": {"content": "one"}})"
                                   "\n"
                                   R"({"client": "b", "id": "2", "data": {"content": "two"}})"
                                   "\n");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "{\"line\":1,\"client\":\"a\",\"id\":1,\"outcome\":\"written\"}\n"
            "{\"line\":2,\"client\":\"a\",\"id\":1,\"outcome\":\"duplicate\"}\n"
            "{\"line\":3,\"client\":\"b\",\"id\":2,\"outcome\":\"written\"}\n");
}

TEST_F(WalctlTest, IngestWhoseAnswersCannotBeWrittenStopsWithAnIoError) {
  // /dev/full refuses every write with ENOSPC, as a full disk under a redirect would.
  std::vector<std::string> argv = {
      "/bin/sh", "-c", "exec \"$@\" > /dev/full", "sh", WALCTL_PATH, "--dir", dir_.str()};
  argv.insert(argv.end(), layout_.begin(), layout_.end());
  argv.push_back("ingest");
  auto result = run_process(argv, R"({"client": "a", "id": 1, "data": {"content": "one"}})"
                                  "\n"
                                  R"({"client": "a", "id": 2, "data": {"content": "two"}})"
                                  "\n");
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_NE(result.err.find("stopped at line 1"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("standard output"), std::string::npos) << result.err;
  // Line 1 was persisted before its answer failed; nothing after it was read.
  EXPECT_EQ(walctl({"retrieve", "a"}).out, "{\"content\":\"one\"}\n");
}

TEST_F(WalctlTest, IngestReportsMalformedLinesByNumberAndGoesOn) {
  auto result = walctl({"ingest"}, R"({"client": "a", "id": 1, "data": {"content": "one"}})"
                                   "\n"
                                   "not json\n"
                                   R"({"client": "a", "id": -4, "data": {}})"
                                   "\n"
                                   R"({"client": "a", "id": 2, "Data": {}})"
                                   "\n"
                                   R"({"client": "../x", "id": 3, "data": {}})"
                                   "\n"
                                   R"({"client": "a", "id": 4, "data": {"content": "four"}})");
  EXPECT_EQ(result.exit_code, 2);
  const std::vector<Json> lines = json_lines(result.out);
  ASSERT_EQ(lines.size(), 6u);
  for (size_t i = 1; i <= 4; ++i) {
    EXPECT_EQ(lines[i]["outcome"], "rejected") << lines[i];
    EXPECT_EQ(lines[i]["line"], i + 1);
  }
  EXPECT_EQ(lines[5]["outcome"], "written");
  for (const char* expected : {"line 2:", "line 3:", "line 4:", "line 5:"}) {
    EXPECT_NE(result.err.find(expected), std::string::npos) << result.err;
  }
  EXPECT_EQ(walctl({"retrieve", "a"}).out, "{\"content\":\"one four\"}\n");
}

TEST_F(WalctlTest, IngestSkipsBlankLines) {
  auto result = walctl({"ingest"},
                       "\n  \n"
                       R"({"client": "a", "id": 1, "data": {}})"
                       "\n\n");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(json_lines(result.out).size(), 1u);
}

// Every line ingest printed before it was killed names a durable message.
TEST_F(WalctlTest, EveryLinePrintedBeforeAKillIsDurable) {
  std::string input;
  for (int id = 1; id <= 3000; ++id) {
    input +=
        Json{{"client", "c" + std::to_string(id % 3)}, {"id", id}, {"data", sentence(id)}}.dump() +
        "\n";
  }
  std::vector<Json> acknowledged;
  {
    ChildProcess child({WALCTL_PATH, "--dir", dir_.str(), "--layout", "seed", "ingest"}, {});
    std::thread feeder([&] { child.write_stdin(input); });
    std::string line;
    while (acknowledged.size() < 40 && child.read_stdout_line(&line)) {
      acknowledged.push_back(Json::parse(line));
    }
    child.kill_now();
    feeder.join();
    child.finish();
  }
  ASSERT_EQ(acknowledged.size(), 40u);
  auto log = open_log(options_for(dir_.path()));
  std::map<std::string, uint64_t> marks;
  for (const ClientSummary& client : *log->clients())
    marks[client.client_id] = *client.max_message_id;
  for (const Json& line : acknowledged) {
    ASSERT_EQ(line["outcome"], "written");
    EXPECT_GE(marks[line["client"].get<std::string>()], line["id"].get<uint64_t>()) << line;
    const std::string content = content_of(*log, line["client"].get<std::string>());
    EXPECT_NE(content.find(sentence(line["id"].get<int>())["content"].get<std::string>()),
              std::string::npos)
        << line;
  }
}

// ---- inspect and verify ----------------------------------------------------------

TEST_F(WalctlTest, VerifyOfAHealthyDirectoryExitsZero) {
  for (int id = 1; id <= 4; ++id)
    ASSERT_EQ(walctl({"persist", "c1", std::to_string(id), "{}"}).exit_code, 0);
  auto result = walctl({"verify"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = json_lines(result.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["ok"], true);
  EXPECT_EQ(lines[1]["damaged_clients"], 0);
}

TEST_F(WalctlTest, VerifyTakesALayoutOfVersionOneAsHealthyAndLeavesIt) {
  layout_ = {"--layout", "segmented"};
  ASSERT_EQ(walctl({"persist", "c1", "1", "{}"}).exit_code, 0);
  write_bytes(dir_.path() / "LAYOUT", "wal segmented 1\n");
  auto result = walctl({"verify"});
  EXPECT_EQ(result.exit_code, 0) << result.err << result.out;
  EXPECT_NE(result.out.find(R"("states_merged":true)"), std::string::npos) << result.out;
  EXPECT_EQ(read_bytes(dir_.path() / "LAYOUT"), "wal segmented 1\n");
}

TEST_F(WalctlTest, VerifyReportsAFlippedByteWithFileAndExitsOne) {
  const fs::path path = persist_then_damage_the_log();
  const std::string name = path.filename().string();
  const std::string bytes = read_bytes(path);

  auto result = walctl({"verify"});
  EXPECT_EQ(result.exit_code, 1);
  const std::vector<Json> lines = json_lines(result.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["ok"], false);
  EXPECT_NE(lines[0]["problems"][0].get<std::string>().find(name), std::string::npos) << lines[0];
  EXPECT_TRUE(lines[0].contains("what_to_do"));
  EXPECT_EQ(read_bytes(path), bytes) << "verify must not change the damaged file";
}

TEST_F(WalctlTest, InspectDescribesDebrisWithoutRemovingIt) {
  ASSERT_EQ(walctl({"persist", "c1", "1", "{}"}).exit_code, 0);
  const fs::path debris = fs::path(client_folder("c1")) / "log_1_2.log.tmp";
  write_bytes(debris, "COMPLETED\n{");
  auto result = walctl({"inspect"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = json_lines(result.out);
  ASSERT_EQ(lines.size(), 2u);
  bool described = false;
  for (const Json& file : lines[0]["files"]) {
    if (file["name"] == "log_1_2.log.tmp") {
      described = true;
      EXPECT_EQ(file["removed_at_open"], true);
    }
  }
  EXPECT_TRUE(described) << lines[0];
  EXPECT_TRUE(fs::exists(debris));
}

// What a crash before .wal.dedup's rename leaves; only opening for writing removes it.
TEST_F(WalctlTest, InspectReportsADedupPolicyTempFileAndNeitherRemovesIt) {
  ASSERT_EQ(walctl({"persist", "c1", "1", "{}"}).exit_code, 0);
  expect_dedup_temp_file_reported_and_kept();
}

// Damages the checkpoint-free log of message 1 of `client`; returns its name.
std::string damage_first_log(const fs::path& folder) {
  const std::string name = names_with_prefix(folder, "log_").front();
  std::string bytes = read_bytes(folder / name);
  bytes[bytes.size() / 2] ^= 0x20;
  write_bytes(folder / name, bytes);
  return name;
}

TEST_F(WalctlTest, RepairSetsDamagedFilesAsideAndTheClientWorksAgain) {
  ASSERT_EQ(walctl({"persist", "c1", "1", R"({"content": "one"})"}).exit_code, 0);
  ASSERT_EQ(walctl({"persist", "c1", "2", R"({"content": "two"})"}).exit_code, 0);
  const std::string name = damage_first_log(client_folder("c1"));
  ASSERT_EQ(walctl({"retrieve", "c1"}).exit_code, 1) << "a damaged client refuses calls";

  auto repaired = walctl({"repair"});
  EXPECT_EQ(repaired.exit_code, 0) << repaired.err;
  const std::vector<Json> lines = json_lines(repaired.out);
  ASSERT_EQ(lines.size(), 2u) << repaired.out;
  EXPECT_EQ(lines[0]["set_aside"], Json::array({name}));
  EXPECT_EQ(lines[0]["ok"], true);
  EXPECT_TRUE(fs::exists(dir_.path() / ".quarantine" / "c1" / name)) << "set aside, not deleted";
  EXPECT_FALSE(fs::exists(fs::path(client_folder("c1")) / name));

  EXPECT_EQ(walctl({"retrieve", "c1"}).out, "{\"content\":\"two\"}\n");
  EXPECT_EQ(walctl({"verify"}).exit_code, 0);
  EXPECT_EQ(walctl({"clients"}).out, "{\"client\":\"c1\",\"max_message_id\":2}\n")
      << "the quarantine folder is not a client";

  // What the note tells of the lost message 1 holds: below the mark, a duplicate.
  EXPECT_EQ(lines[0]["max_message_id_now"], 2);
  EXPECT_NE(lines[0]["note"].get<std::string>().find("at or below it is refused as a duplicate"),
            std::string::npos)
      << lines[0]["note"];
  EXPECT_EQ(walctl({"persist", "c1", "1", R"({"content": "one"})"}).out,
            "{\"outcome\":\"duplicate\"}\n");
}

TEST_F(WalctlTest, RepairDryRunMovesNothing) {
  ASSERT_EQ(walctl({"persist", "c1", "1", R"({"content": "one"})"}).exit_code, 0);
  const std::string name = damage_first_log(client_folder("c1"));
  auto result = walctl({"repair", "--dry-run"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(json_lines(result.out)[0]["would_set_aside"], Json::array({name}));
  EXPECT_TRUE(fs::exists(fs::path(client_folder("c1")) / name));
  EXPECT_FALSE(fs::exists(dir_.path() / ".quarantine"));
}

TEST_F(WalctlTest, RepairRefusesADirectoryInUse) {
  auto held = open_log(options_for(dir_.path()));
  EXPECT_EQ(walctl({"repair"}).exit_code, 4);
}

TEST_F(WalctlTest, VerifyOfAMissingDirectoryIsAnIoError) {
  auto result =
      run_process({WALCTL_PATH, "--dir", (dir_.path() / "absent").string(), "verify"}, "");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("absent"), std::string::npos) << result.err;
}

// ---- inspect and verify of the segmented layout ---------------------------------------

class WalctlSegmentedTest : public WalctlTest {
 protected:
  WalctlSegmentedTest() { layout_.clear(); }

  // A segmented directory with a snapshot and records after it.
  void write_with_snapshot() {
    auto log = open_log(segmented_options_for(dir_.path()));
    ASSERT_TRUE(log);
    const std::string padding(900, 'x');
    for (uint64_t id = 1; id <= 400; ++id) {
      ASSERT_TRUE(log->persist("c" + std::to_string(id % 3), {{"content", padding}, {"id", id}}, id)
                      .is_ok());
    }
  }
  void write_sentences(uint64_t last) {
    auto log = open_log(segmented_options_for(dir_.path()));
    ASSERT_TRUE(log);
    persist_sentences(*log, "c", 1, last);
  }
  fs::path first_segment() const { return dir_.path() / "segment-00000000000000000001.log"; }
  static void flip(const fs::path& path, const std::string& find) {
    std::string bytes = read_bytes(path);
    const size_t at = bytes.find(find);
    ASSERT_NE(at, std::string::npos) << find;
    bytes[at] ^= 0x20;
    write_bytes(path, bytes);
  }
};

TEST_F(WalctlSegmentedTest, VerifyOfAHealthyDirectoryMergesEveryStateAndExitsZero) {
  write_with_snapshot();
  auto result = walctl({"verify"});
  EXPECT_EQ(result.exit_code, 0) << result.err << result.out;
  const std::vector<Json> lines = json_lines(result.out);
  ASSERT_EQ(lines.size(), 4u) << result.out;
  EXPECT_EQ(lines[0]["client"], "c0");
  EXPECT_EQ(lines[0]["ok"], true);
  EXPECT_EQ(lines[3]["layout"], "segmented");
  EXPECT_EQ(lines[3]["problems"], 0);
  EXPECT_EQ(lines[3]["states_merged"], true);
  EXPECT_TRUE(lines[3]["snapshot"].is_string()) << lines[3];
}

// `walctl verify` of `dir` through a read-only bind mount, as of a mounted
// backup; nullopt when no mount can be made (not root). Unmounted before it
// returns, so no failed assertion leaves a mount behind.
std::optional<ProcessResult> verify_through_read_only_mount(const fs::path& dir) {
  TempDir mount_point;
  const std::string at = mount_point.str();
  if (::mount(dir.c_str(), at.c_str(), nullptr, MS_BIND, nullptr) != 0) return std::nullopt;
  std::optional<ProcessResult> result;
  if (::mount(nullptr, at.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) == 0) {
    result = run_process({WALCTL_PATH, "--dir", at, "verify"}, "");
  }
  ::umount2(at.c_str(), MNT_DETACH);
  return result;
}

TEST_F(WalctlSegmentedTest, VerifyOfAReadOnlyCopyMergesEveryState) {
  write_with_snapshot();
  const auto result = verify_through_read_only_mount(dir_.path());
  if (!result) GTEST_SKIP() << "cannot bind-mount read-only: run as root";
  EXPECT_EQ(result->exit_code, 0) << result->err << result->out;
  const std::vector<Json> lines = json_lines(result->out);
  ASSERT_EQ(lines.size(), 4u) << result->out;
  EXPECT_EQ(lines.back()["states_merged"], true) << lines.back();
}

TEST_F(WalctlSegmentedTest, VerifyThroughAReadOnlyMountStillMeetsTheWritersLock) {
  write_with_snapshot();
  auto writer = open_log(segmented_options_for(dir_.path()));
  const auto result = verify_through_read_only_mount(dir_.path());
  if (!result) GTEST_SKIP() << "cannot bind-mount read-only: run as root";
  const std::vector<Json> lines = json_lines(result->out);
  ASSERT_FALSE(lines.empty()) << result->err;
  EXPECT_EQ(lines.back()["states_merged"], false) << lines.back();
  EXPECT_NE(lines.back().value("states_not_merged_because", "").find("locked"), std::string::npos)
      << lines.back();
}

TEST_F(WalctlSegmentedTest, VerifyReportsDamageInTheMiddleWithFileAndOffset) {
  write_sentences(20);
  const std::string before = read_bytes(first_segment());
  const size_t at = before.find("Sentence 3.");
  flip(first_segment(), "Sentence 3.");
  const std::string damaged = read_bytes(first_segment());
  auto result = walctl({"verify"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  const std::vector<Json> lines = json_lines(result.out);
  ASSERT_GE(lines.size(), 2u) << result.out;
  EXPECT_EQ(lines[0]["file"], "segment-00000000000000000001.log");
  ASSERT_TRUE(lines[0].contains("offset")) << lines[0];
  EXPECT_LT(lines[0]["offset"].get<uint64_t>(), at);
  EXPECT_GT(lines[0]["offset"].get<uint64_t>() + 200, at);
  EXPECT_TRUE(lines[0].contains("what_to_do"));
  EXPECT_NE(lines[0]["problem"].get<std::string>().find("from offset"), std::string::npos)
      << lines[0];
  EXPECT_EQ(lines.back()["problems"], 1);
  EXPECT_EQ(read_bytes(first_segment()), damaged) << "verify must change nothing";
}

TEST_F(WalctlSegmentedTest, VerifyReportsATornTail) {
  write_sentences(5);
  flip(first_segment(), "Sentence 5.");
  auto result = walctl({"verify"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  const std::vector<Json> lines = json_lines(result.out);
  ASSERT_GE(lines.size(), 2u) << result.out;
  EXPECT_EQ(lines[0]["problem"].get<std::string>().rfind("torn tail", 0), 0u) << lines[0];
  EXPECT_TRUE(lines[0].contains("offset"));
  EXPECT_EQ(lines.back()["torn_tail"], true);
}

TEST_F(WalctlSegmentedTest, VerifyReportsADamagedSnapshot) {
  write_with_snapshot();
  const auto snapshots = names_with_prefix(dir_.path(), "snapshot-");
  ASSERT_EQ(snapshots.size(), 1u);
  flip(dir_.path() / snapshots[0], "xxxx");
  auto result = walctl({"verify"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.out.find("damaged snapshot"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find(snapshots[0]), std::string::npos) << result.out;
}

TEST_F(WalctlSegmentedTest, InspectDescribesSegmentsAndSnapshots) {
  write_with_snapshot();
  auto result = walctl({"inspect"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = json_lines(result.out);
  size_t segments = 0, snapshots = 0;
  for (const Json& line : lines) {
    if (line.value("kind", "") == "segment") {
      ++segments;
      EXPECT_TRUE(line.contains("persist_records")) << line;
      EXPECT_FALSE(line.contains("damage")) << line;
    }
    if (line.value("kind", "") == "snapshot") {
      ++snapshots;
      EXPECT_TRUE(line.contains("covers")) << line;
      EXPECT_EQ(line["clients"], 3);
    }
  }
  EXPECT_GT(segments, 0u);
  EXPECT_EQ(snapshots, 1u);
  EXPECT_EQ(lines.back()["layout"], "segmented");
  EXPECT_EQ(lines.back()["damaged_files"], 0);
}

TEST_F(WalctlSegmentedTest, InspectDescribesFreeFilesWithWhatTheyWereAndTheirSize) {
  write_with_snapshot();
  const std::string segment = wal::segmented::free_file_name(1);
  const std::string snapshot = wal::segmented::free_snapshot_file_name(1);
  write_bytes(dir_.path() / segment, std::string(4096, '\0'));
  write_bytes(dir_.path() / snapshot, std::string(5000, 'x'));
  auto result = walctl({"inspect"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = json_lines(result.out);
  std::map<std::string, Json> free;
  for (const Json& line : lines) {
    if (line.value("kind", "") == "free") free[line["file"]] = line;
  }
  ASSERT_TRUE(free.contains(segment) && free.contains(snapshot)) << result.out;
  EXPECT_EQ(free[segment]["was"], "segment");
  EXPECT_EQ(free[segment]["bytes"], 4096);
  EXPECT_EQ(free[segment]["number"], 1);
  EXPECT_EQ(free[snapshot]["was"], "snapshot");
  EXPECT_EQ(free[snapshot]["bytes"], 5000);
  EXPECT_EQ(lines.back()["free"], free.size());
}

// What a crash before .wal.dedup's rename leaves; only opening for writing removes it.
TEST_F(WalctlSegmentedTest, InspectReportsADedupPolicyTempFileAndNeitherRemovesIt) {
  write_sentences(3);
  const Json described = expect_dedup_temp_file_reported_and_kept();
  EXPECT_EQ(described["kind"], "temporary") << described;
  auto verified = walctl({"verify"});
  EXPECT_EQ(json_lines(verified.out).back()["problems"], 0) << verified.out;
}

TEST_F(WalctlSegmentedTest, ANewDirectoryIsSegmentedAndAnExistingOneKeepsItsLayout) {
  ASSERT_EQ(walctl({"persist", "c", "1", R"({"content": "a"})"}).exit_code, 0);
  EXPECT_TRUE(fs::exists(dir_.path() / "LAYOUT"));
  TempDir seed;
  ASSERT_EQ(run_process({WALCTL_PATH, "--dir", seed.str(), "--layout", "seed", "persist", "c", "1",
                         R"({"content": "a"})"},
                        "")
                .exit_code,
            0);
  auto next = run_process(
      {WALCTL_PATH, "--dir", seed.str(), "persist", "c", "2", R"({"content": "b"})"}, "");
  EXPECT_EQ(next.exit_code, 0) << next.err;
  EXPECT_FALSE(fs::exists(seed.path() / "LAYOUT"));
  EXPECT_EQ(names_with_prefix(seed.path() / "c", "log_").size(), 2u);
}

TEST_F(WalctlSegmentedTest, RepairSetsDamageAsideAndTheDirectoryOpensAgain) {
  write_sentences(20);
  flip(first_segment(), "Sentence 3.");
  const std::string damaged = read_bytes(first_segment());
  ASSERT_EQ(walctl({"retrieve", "c"}).exit_code, 1);
  auto dry = walctl({"repair", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(read_bytes(first_segment()), damaged) << "a dry run changes nothing";
  auto repaired = walctl({"repair"});
  ASSERT_EQ(repaired.exit_code, 0) << repaired.err;
  const std::vector<Json> lines = json_lines(repaired.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["affected_clients"], Json::array({"c"})) << repaired.out;
  EXPECT_EQ(lines.back()["opens_by_default"], true) << repaired.out;
  EXPECT_EQ(read_bytes(dir_.path() / ".quarantine" / first_segment().filename()), damaged);
  auto retrieved = walctl({"retrieve", "c"});
  EXPECT_EQ(retrieved.exit_code, 0) << retrieved.err;
  EXPECT_NE(retrieved.out.find("Sentence 20."), std::string::npos) << retrieved.out;
  EXPECT_EQ(retrieved.out.find("Sentence 3."), std::string::npos) << retrieved.out;
  EXPECT_EQ(walctl({"verify"}).exit_code, 0);
}

// ---- convert -----------------------------------------------------------------------

TEST_F(WalctlTest, ConvertMovesAListDirectoryToSegmentedAndBack) {
  const std::vector<std::string> list = {"--interpreter", "list"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), list.begin(), list.end());
    return walctl(args);
  };
  for (int id = 1; id <= 5; ++id) {
    ASSERT_EQ(with({"persist", "c1", std::to_string(id), R"({"n": )" + std::to_string(id) + "}"})
                  .exit_code,
              0);
  }
  const std::string before = with({"retrieve", "c1"}).out;
  TempDir other;
  const std::string segmented = (other.path() / "segmented").string();
  auto converted = with({"convert", "--to", segmented});
  ASSERT_EQ(converted.exit_code, 0) << converted.err;
  const std::vector<Json> lines = json_lines(converted.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["client"], "c1");
  EXPECT_EQ(lines[0]["max_message_id"], 5);
  EXPECT_EQ(lines[1]["clients"], 1);
  EXPECT_EQ(lines[1]["from_layout"], "seed");
  EXPECT_EQ(lines[1]["to_layout"], "segmented");
  EXPECT_TRUE(fs::exists(other.path() / "segmented" / "LAYOUT"));

  auto on = [&](const std::string& dir, std::vector<std::string> args) {
    args.insert(args.begin(), {WALCTL_PATH, "--dir", dir, "--layout", "auto"});
    args.insert(args.begin() + 5, list.begin(), list.end());
    return run_process(args, "");
  };
  EXPECT_EQ(on(segmented, {"retrieve", "c1"}).out, before);
  const std::string back = (other.path() / "back").string();
  auto exported = on(segmented, {"convert", "--to", back});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(on(back, {"retrieve", "c1"}).out, before);
  EXPECT_EQ(on(back, {"persist", "c1", "5", "{}"}).out, "{\"outcome\":\"duplicate\"}\n");
  EXPECT_EQ(on(back, {"persist", "c1", "6", "{}"}).out, "{\"outcome\":\"written\"}\n");
}

TEST_F(WalctlTest, ConvertRefusesANonEmptyTargetWithExitTwo) {
  ASSERT_EQ(walctl({"persist", "c1", "1", R"({"content": "a"})"}).exit_code, 0);
  TempDir other;
  write_bytes(other.path() / "keep", "x");
  auto result = walctl({"convert", "--to", other.str()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("not empty"), std::string::npos) << result.err;
  EXPECT_EQ(list_names(other.path()), std::vector<std::string>{"keep"});
}

// Merged states and marks cannot carry the ids an exact-dedup directory
// still awaits: convert refuses it rather than call them duplicates after.
TEST_F(WalctlTest, ConvertRefusesAnExactDedupDirectoryWithExitTwo) {
  ASSERT_EQ(walctl({"--dedup", "exact", "persist", "c1", "2", R"({"content": "b"})"}).exit_code, 0);
  TempDir other;
  const fs::path target = other.path() / "converted";
  auto result = walctl({"convert", "--to", target.string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("exact dedup policy"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(WalctlTest, ConvertRefusesADamagedSourceWithExitOneNamingTheFile) {
  const std::string name = persist_then_damage_the_log().filename().string();
  TempDir other;
  auto result = walctl({"convert", "--to", (other.path() / "target").string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find(name), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(other.path() / "target"));
}

}  // namespace
}  // namespace wal::testing
