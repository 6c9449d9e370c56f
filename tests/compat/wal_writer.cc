// Writes a data directory with wal for the original's reader to read.
//
//   wal_writer BASE_DIR
//
// Persists a fixed set of messages through two instances (so that recovery,
// redelivery, checkpoints and clear all leave their mark), then prints what
// wal itself reads back, in original_reader.py's output form:
//   {client: {"content": ..., "max_message_id": ...}}
// Every message carries "batch" equal to its id, as the original's worker sent
// them: the original joins content in batch order.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

#include "wal/wal.h"

namespace {

[[noreturn]] void die(const std::string& what, const wal::Status& status) {
  std::cerr << "wal_writer: " << what << ": " << status.to_string() << "\n";
  std::exit(1);
}

std::unique_ptr<wal::WriteAheadLog> open_log(const std::string& base_dir) {
  wal::WriteAheadLogOptions options;
  options.service_name = "compat";
  options.base_dir = base_dir;
  options.checkpoint_threshold = 3;
  options.layout = wal::Layout::kSeed;  // the layout the original reads
  auto log = wal::WriteAheadLog::open(std::make_shared<wal::ConsumerStateInterpreter>(),
                                      std::make_shared<wal::FileSystemStorage>(), options);
  if (!log.is_ok()) die("open " + base_dir, log.status());
  return std::move(log).value();
}

void persist(wal::WriteAheadLog& log, const std::string& client, uint64_t id,
             const std::string& content) {
  const wal::Json data = {{"batch", id}, {"content", content}};
  auto outcome = log.persist(client, data, id);
  if (!outcome.is_ok()) die("persist " + client + " " + std::to_string(id), outcome.status());
}

void persist_sentences(wal::WriteAheadLog& log, const std::string& client, uint64_t first,
                       uint64_t last) {
  for (uint64_t id = first; id <= last; ++id) {
    persist(log, client, id, "Sentence " + std::to_string(id) + ".");
  }
}

void write_first_run(wal::WriteAheadLog& log) {
  persist_sentences(log, "default", 1, 4);  // a checkpoint and a log
  persist_sentences(log, "many", 1, 10);    // three checkpoints and a log
  const wal::Json readme = {{"content", "some important business data"}};
  if (auto outcome = log.persist("client123", readme, 5); !outcome.is_ok()) {
    die("persist client123", outcome.status());
  }
  persist(log, "unicode", 1, "Caf\u00e9 \u00f1 \U0001F600 \"quoted\"");
  persist(log, "unicode", 2, "back\\slash new\nline tab\t end");
  persist(log, "big ids", 9007199254740993u, "above 2^53");
  persist(log, "big ids", 18446744073709551615u, "u64 max");
  persist_sentences(log, "cleared", 1, 5);
  if (wal::Status cleared = log.clear("cleared"); !cleared.is_ok()) die("clear", cleared);
  persist_sentences(log, "cleared", 1, 1);
}

void write_second_run(wal::WriteAheadLog& log) {
  persist_sentences(log, "default", 2, 7);  // 2-4 are redelivered duplicates
}

wal::Json view_of(wal::WriteAheadLog& log) {
  auto clients = log.clients();
  if (!clients.is_ok()) die("clients", clients.status());
  wal::Json view = wal::Json::object();
  for (const wal::ClientSummary& client : *clients) {
    auto state = log.retrieve(client.client_id);
    if (!state.is_ok()) die("retrieve " + client.client_id, state.status());
    view[client.client_id] = {
        {"content", (*state)["content"]},
        {"max_message_id",
         client.max_message_id ? wal::Json(*client.max_message_id) : wal::Json(nullptr)}};
  }
  return view;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: wal_writer BASE_DIR\n";
    return 2;
  }
  write_first_run(*open_log(argv[1]));
  auto log = open_log(argv[1]);
  write_second_run(*log);
  std::cout << view_of(*log).dump() << "\n";
  return 0;
}
