#!/usr/bin/env bash
# Installs the Debian 12 packages wal needs to build and test, if missing.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  nlohmann-json3-dev libsimdjson-dev libcli11-dev libfmt-dev
  libgtest-dev libgmock-dev
  clang libclang-rt-14-dev
  python3 python3-dev pybind11-dev
  rabbitmq-server python3-pika
  # The etcd backend (WAL_BUILD_ETCD): gRPC, protobuf, etcd's .proto files,
  # and the etcd server its tests start; openssl makes their TLS certificates.
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  golang-etcd-server-dev etcd-server openssl
  # walbench (WAL_BUILD_BENCH): the peers it measures against.
  librocksdb-dev libleveldb-dev libsqlite3-dev
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
