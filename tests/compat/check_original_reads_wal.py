#!/usr/bin/env python3
"""The original service must read what wal writes.

1. Checks original_reader.py against outputs the reference observed from the
   original itself (§13), on directories built here byte for byte.
2. Runs WAL_WRITER on a fresh directory, which prints what wal reads back,
   runs original_reader.py on the same directory, and requires that, for every
   client, the original sees the same content and the same highest id. Any
   other folder (wal's own ".trash") must look empty to the original.

Usage: check_original_reads_wal.py WAL_WRITER
Exit status 0 when everything matches, 1 otherwise.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
READER = HERE / "original_reader.py"


def read_with_original(base_dir):
    output = subprocess.run([sys.executable, str(READER), str(base_dir)], check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("ascii"))


def original_log(folder, timestamp, message_id, data, status="COMPLETED"):
    record = {"data": data, "_metadata": {"timestamp": str(timestamp), "message_id": message_id}}
    write(folder / f"log_{timestamp}_{message_id}.log", status + "\n" + json.dumps(record))


def original_checkpoint(folder, timestamp, content, max_message_id, status="COMPLETED"):
    record = {"content": content,
              "_metadata": {"timestamp": str(timestamp), "max_message_id": max_message_id}}
    write(folder / f"checkpoint_{timestamp}.log", status + "\n" + json.dumps(record))


def sentence(i):
    return {"batch": i, "content": f"Sentence {i}."}


def reader_self_check(work):
    """Directories of §13 and what the original reported for them after a restart."""
    base = work / "self-check"
    # Ex 2: checkpoint of 1-3 and log 4 -> 'Sentence 1. ... Sentence 4.', processed_ids 4.
    original_checkpoint(base / "c1", 1795558512484, "Sentence 1. Sentence 2. Sentence 3.", 3)
    original_log(base / "c1", 1795558512488, 4, sentence(4))
    # Ex 4: a plain string payload -> the bare string, processed_ids None.
    original_log(base / "b", 1795558512488, 1, "plain string payload")
    # Ex 5b: a checkpoint and the logs it covers -> logs deleted at start, no duplicate.
    for i, word in enumerate(["One.", "Two.", "Three."], start=1):
        original_log(base / "c5b", 1795558512480 + i, i, {"batch": i, "content": word})
    original_checkpoint(base / "c5b", 1795558512484, "One. Two. Three.", 3)
    # Ex 5d: a torn newer checkpoint hides the older one -> only 'S4.'.
    original_checkpoint(base / "c5d", 1795558512483, "S1. S2. S3.", 3)
    original_log(base / "c5d", 1795558512484, 4, {"batch": 4, "content": "S4."})
    write(base / "c5d" / "checkpoint_1795558512485.log",
          'COMPLETED\n{"content": "S1. S2. S3. S4. S5')
    expected = {
        "c1": {"content": "Sentence 1. Sentence 2. Sentence 3. Sentence 4.",
               "max_message_id": 4},
        "b": {"content": None, "max_message_id": None},
        "c5b": {"content": "One. Two. Three.", "max_message_id": 3},
        "c5d": {"content": "S4.", "max_message_id": 4},
    }
    return compare("original_reader.py on the reference's examples", expected,
                   read_with_original(base), {})


def compare(title, expected, actual, extra_allowed):
    """Prints a line per client; True when every client matches."""
    ok = True
    print(title + ":")
    for client in sorted(set(expected) | set(actual)):
        want = expected.get(client, extra_allowed.get(client))
        got = actual.get(client)
        match = client in expected or client in extra_allowed
        match = match and got == want
        ok = ok and match
        print(f"  {'ok      ' if match else 'MISMATCH'} {client!r}: expected {want!r}, original reader {got!r}")
    return ok


def wal_directory_check(work, wal_writer):
    base = work / "wal"
    output = subprocess.run([wal_writer, str(base)], check=True, capture_output=True,
                            text=True).stdout
    written = json.loads(output)
    if written.get("default", {}).get("content") != " ".join(
            f"Sentence {i}." for i in range(1, 8)):
        print(f"wal_writer did not write the expected scenario: {written!r}")
        return False
    empty = {"content": None, "max_message_id": None}
    hidden = {path.name: empty for path in base.iterdir() if path.name.startswith(".")}
    return compare("original_reader.py on a directory wal wrote", written,
                   read_with_original(base), hidden)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="wal-compat-") as work:
        work = Path(work)
        ok = reader_self_check(work)
        ok = wal_directory_check(work, argv[1]) and ok
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
