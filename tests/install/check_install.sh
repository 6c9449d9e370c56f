#!/usr/bin/env bash
# Installs the built tree into a temporary prefix, then builds and runs a
# consumer with find_package(wal) and another with pkg-config.
set -euo pipefail
build_dir=$1
source_dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Not the Python module (component "python"): it goes to the interpreter's
# platlib, outside any prefix; python/tests/check_install.sh covers it.
cmake --install "$build_dir" --prefix "$work/prefix" --component Unspecified >/dev/null
cmake -S "$source_dir/consumer" -B "$work/cmake-build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
ninja -C "$work/cmake-build" >/dev/null
output=$("$work/cmake-build/consumer" "$work/data-cmake")
[[ $output == '{"content":"installed"}' ]] || { echo "find_package consumer printed: $output"; exit 1; }

pc_dir=$(dirname "$(find "$work/prefix" -name wal.pc | head -n 1)")
flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs wal)
# shellcheck disable=SC2086
c++ "$source_dir/consumer/main.cc" $flags -o "$work/pkg-consumer"
output=$("$work/pkg-consumer" "$work/data-pkg")
[[ $output == '{"content":"installed"}' ]] || { echo "pkg-config consumer printed: $output"; exit 1; }
[[ -x $work/prefix/bin/walctl ]] || { echo "walctl is not installed"; exit 1; }
echo "install: headers, wal::wal, wal.pc and walctl work from $work/prefix"
