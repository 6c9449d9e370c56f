#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine, builds, and runs every test:
#   1. the release build (g++): every test through ctest;
#   2. a clang build with AddressSanitizer and UndefinedBehaviorSanitizer and
#      the libFuzzer targets: every test again, plus brief fuzzing of each
#      target (WAL_FUZZ_SECONDS each, default 20). Without the etcd backend
#      (its gRPC build would double the time; its tests ran in step 1) unless
#      WAL_SANITIZE_ETCD=1;
#   3. a ThreadSanitizer build of the concurrency tests.
# WAL_SKIP_SANITIZE=1 runs only the first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"

build_dir=${WAL_BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh"
(cd "$build_dir" && ctest --output-on-failure -j "$(nproc)" --timeout 600)

if [[ ${WAL_SKIP_SANITIZE:-0} != 1 ]]; then
  sanitize_dir=${WAL_SANITIZE_BUILD_DIR:-$root/build-sanitize}
  CC=clang CXX=clang++ WAL_BUILD_DIR=$sanitize_dir bash "$root/scripts/build.sh" \
    -DWAL_SANITIZE=ON -DWAL_BUILD_FUZZ=ON -DWAL_FUZZ_SECONDS="${WAL_FUZZ_SECONDS:-20}" \
    -DWAL_BUILD_ETCD="$([[ ${WAL_SANITIZE_ETCD:-0} == 1 ]] && echo ON || echo OFF)"
  (cd "$sanitize_dir" && ctest --output-on-failure -j "$(nproc)" --timeout 900)
fi

if [[ ${WAL_SKIP_SANITIZE:-0} != 1 ]]; then
  tsan_dir=${WAL_TSAN_BUILD_DIR:-$root/build-tsan}
  CC=clang CXX=clang++ cmake -S "$root" -B "$tsan_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DWAL_SANITIZE_THREAD=ON -DWAL_BUILD_TOOLS=OFF -DWAL_BUILD_ETCD=OFF >/dev/null
  ninja -C "$tsan_dir" write_ahead_log_test data_persistence_contract_test
  (cd "$tsan_dir" && ctest --output-on-failure -j "$(nproc)" --timeout 900 -R 'Thread|Race|Concurren')
fi
