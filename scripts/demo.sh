#!/usr/bin/env bash
# The main job: installs what is missing, builds, then runs a consumer's life
# on a data directory (./wal-data, or $WAL_DIR):
#   1. a stream of messages for three clients, with redeliveries, goes through
#      `walctl ingest`, which is killed with SIGKILL part-way, as a crash would;
#   2. after the "restart" the queue redelivers the whole stream;
#   3. the recovered state holds every message exactly once, in order, and the
#      redeliveries were recognised as duplicates.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh" >/dev/null
walctl="${WAL_BUILD_DIR:-$root/build}/tools/walctl/walctl"
data_dir=${WAL_DIR:-./wal-data}
messages_per_client=20
clients=(alice bob carol)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== wal demo on $data_dir"
for client in "${clients[@]}"; do "$walctl" --dir "$data_dir" clear "$client" >/dev/null; done

# The stream a queue would deliver: ids per client in order, every fifth
# message delivered twice (an at-least-once queue redelivers).
for ((id = 1; id <= messages_per_client; id++)); do
  for client in "${clients[@]}"; do
    line="{\"client\": \"$client\", \"id\": $id, \"data\": {\"content\": \"$client-$id.\"}}"
    echo "$line"
    if ((id % 5 == 0)); then echo "$line"; fi
  done
done >"$work/stream.jsonl"
total=$(wc -l <"$work/stream.jsonl")
echo "stream: $total deliveries of $((messages_per_client * ${#clients[@]})) messages"

# Run 1: crash after 25 acknowledgements.
"$walctl" --dir "$data_dir" ingest <"$work/stream.jsonl" >"$work/run1.jsonl" 2>/dev/null &
consumer=$!
while (($(wc -l <"$work/run1.jsonl") < 25)) && kill -0 "$consumer" 2>/dev/null; do sleep 0.01; done
kill -9 "$consumer" 2>/dev/null || true
wait "$consumer" 2>/dev/null || true
echo "run 1: killed with SIGKILL after acknowledging $(wc -l <"$work/run1.jsonl") deliveries"

# Run 2: the restarted consumer gets the whole stream again.
"$walctl" --dir "$data_dir" ingest <"$work/stream.jsonl" >"$work/run2.jsonl"
written=$(grep -c '"outcome":"written"' "$work/run2.jsonl" || true)
duplicate=$(grep -c '"outcome":"duplicate"' "$work/run2.jsonl" || true)
echo "run 2: restarted, redelivered all $total: $written written, $duplicate skipped as duplicates"

echo
echo "== recovered state"
"$walctl" --dir "$data_dir" clients
status=0
for client in "${clients[@]}"; do
  state=$("$walctl" --dir "$data_dir" retrieve "$client")
  echo "$client: $state"
  expected=$(for ((id = 1; id <= messages_per_client; id++)); do printf '%s-%d. ' "$client" "$id"; done)
  if [[ $state != "{\"content\":\"${expected% }\"}" ]]; then
    echo "demo: $client's state is not every message exactly once, in order" >&2
    status=1
  fi
done
echo
echo "== verify"
"$walctl" --dir "$data_dir" verify | tail -n 1
((status == 0)) && echo "every message recorded exactly once, in order, across a crash"
exit "$status"
