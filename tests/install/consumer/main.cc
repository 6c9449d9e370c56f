// Persists one message through an installed wal and prints the state.
#include <wal/wal.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  wal::WriteAheadLogOptions options;
  options.base_dir = argv[1];
  auto log = wal::WriteAheadLog::open(std::make_shared<wal::ConsumerStateInterpreter>(),
                                      std::make_shared<wal::FileSystemStorage>(), options);
  if (!log.is_ok()) return 1;
  auto outcome = (*log)->persist("client123", {{"content", "installed"}}, 5);
  if (!outcome.is_ok()) return 1;
  std::cout << (*log)->retrieve("client123")->dump() << "\n";
  return 0;
}
