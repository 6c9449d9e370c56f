#!/usr/bin/env python3
"""Reads a wal data directory the way the original Python service does.

Written from the description in the reference (original-python.md §3, §6,
§9, §11), not from the original's code. For every client folder (each
immediate sub-directory of the base directory) it computes what the original
would report after a restart, without changing anything on disk:

  * max_message_id: the dedup mark its constructor recovers (§6 c);
  * content: the "content" of what its retrieve() returns (§9), after the
    start-up clean-up (§6 a) would have deleted the logs a checkpoint covers.

Prints one JSON object {client: {"content": str|null, "max_message_id":
int|null}} with the clients sorted by name.

Usage: original_reader.py BASE_DIR
"""

import json
import sys
from pathlib import Path

COMPLETED = "COMPLETED"


def read_record(path):
    """Returns (status line, parsed JSON or None) of a status + JSON file."""
    with open(path, "r") as file:  # text mode, as the original reads
        text = file.read()
    status, _, body = text.partition("\n")
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


def to_int(value):
    """int(value), or None where the original's int() conversion fails."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def latest_checkpoint(folder):
    """The first COMPLETED checkpoint when the names are sorted descending as strings."""
    for path in sorted((str(p) for p in folder.glob("checkpoint_*.log")), reverse=True):
        status, _ = read_record(path)
        if status == COMPLETED:
            return path
    return None


def metadata_of(record):
    metadata = record.get("_metadata") if isinstance(record, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def log_message_id(record):
    """The id start-up clean-up reads from a log: _metadata first, then top level."""
    value = metadata_of(record).get("message_id")
    if value is None and isinstance(record, dict):
        value = record.get("message_id")
    return to_int(value)


def parse_data(record):
    """The consumer interpreter's parse_data for one parsed log (§11)."""
    if not isinstance(record, dict) or "data" not in record:
        return record
    data = record["data"]
    if isinstance(data, dict) and "message_id" not in data:
        data = dict(data)
        data["message_id"] = metadata_of(record).get("message_id")
    return data


def merge_data(entries):
    """The consumer interpreter's merge_data (§11): content joined in batch order."""
    if not isinstance(entries, list) or not entries:
        return {"content": ""}
    existing_content = ""
    seen_batches = set()
    contents = {}
    last_batch = None
    for entry in entries:
        if "content" not in entry:
            continue
        if "batch" not in entry:
            existing_content = entry["content"]  # overwrites, as the original does
            continue
        batch = entry["batch"]
        if not batch:
            continue
        key = to_int(batch)
        key = batch if key is None else key
        last_batch = key
        if str(batch) in seen_batches:
            continue
        seen_batches.add(str(batch))
        if entry["content"]:
            contents[key] = entry["content"]
    text = existing_content
    for key in sorted(contents):
        if text and not text.endswith(" "):
            text += " "
        text += contents[key]
    return {"content": text.strip(), "batch": last_batch}


def live_logs(folder, checkpoint):
    """The COMPLETED, parseable logs left after start-up clean-up (§6 a), in glob order."""
    covered_up_to = None
    if checkpoint is not None:
        _, body = read_record(checkpoint)
        if body is not None:
            max_id = metadata_of(body).get("max_message_id")
            covered_up_to = to_int(max_id) if max_id else None
    logs = []
    for path in folder.glob("log_*.log"):
        status, record = read_record(path)
        if status != COMPLETED or record is None:
            continue
        message_id = log_message_id(record)
        if covered_up_to is not None and message_id is not None and message_id <= covered_up_to:
            continue  # deleted at start-up
        logs.append(record)
    return logs


def recovered_max_id(checkpoint, logs):
    """The dedup mark the constructor recovers (§6 c)."""
    ids = []
    if checkpoint is not None:
        _, body = read_record(checkpoint)
        if body is not None:
            max_id = to_int(metadata_of(parse_data(body)).get("max_message_id"))
            if max_id is not None:
                ids.append(max_id)
    for record in logs:
        data = parse_data(record)
        message_id = data.get("message_id") if isinstance(data, dict) else None
        if message_id and to_int(message_id) is not None:
            ids.append(to_int(message_id))
    return max(ids) if ids else None


def retrieve(checkpoint, logs):
    """What retrieve() returns (§9)."""
    items = []
    if checkpoint is not None:
        _, body = read_record(checkpoint)
        if isinstance(body, dict) and body.get("content"):
            items.append({"content": body["content"]})
    for record in logs:
        if "data" in record:
            item = record["data"]
        else:
            item = {key: value for key, value in record.items() if key != "_metadata"}
        if item is not None:
            items.append(item)
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    try:
        return merge_data(items)
    except Exception:  # the original falls back to the last item
        return items[-1]


def read_client(folder):
    checkpoint = latest_checkpoint(folder)
    logs = live_logs(folder, checkpoint)
    state = retrieve(checkpoint, logs)
    content = state.get("content") if isinstance(state, dict) else None
    return {"content": content, "max_message_id": recovered_max_id(checkpoint, logs)}


def read_directory(base_dir):
    base = Path(base_dir)
    folders = sorted(path for path in base.iterdir() if path.is_dir())
    return {folder.name: read_client(folder) for folder in folders}


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(read_directory(argv[1]), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
