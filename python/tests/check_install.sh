#!/usr/bin/env bash
# Installs the Python module with DESTDIR (so nothing outside a temporary
# directory is touched), checks it lands in WAL_PYTHON_INSTALL_DIR and that
# the interpreter it was built for imports it from there.
# Usage: check_install.sh BUILD_DIR PYTHON INSTALL_DIR
set -euo pipefail
build_dir=$1 python=$2 install_dir=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

DESTDIR="$work/root" cmake --install "$build_dir" --component python >/dev/null
module=$(find "$work/root" -name 'wal.*.so' | head -n 1)
[[ -n $module ]] || { echo "no wal.*.so installed under $work/root"; exit 1; }
case $(dirname "$module") in
  *"${install_dir%/}") ;;
  *) echo "module installed in $(dirname "$module"), expected WAL_PYTHON_INSTALL_DIR $install_dir"; exit 1 ;;
esac
cd "$work"
PYTHONPATH=$(dirname "$module") "$python" -c '
import os, wal
assert os.path.realpath(wal.__file__).startswith(os.path.realpath(os.getcwd())), wal.__file__
log = wal.WriteAheadLog(state_interpreter=wal.ConsumerStateInterpreter(),
                        storage=wal.FileSystemStorage(), base_dir="data")
assert log.persist("c", {"content": "installed"}, 1)
assert log.retrieve("c") == {"content": "installed"}
'
echo "install: wal Python module works from $(dirname "$module")"
