#!/usr/bin/env python3
"""Writes the input of the peak-RSS target of docs/BENCHMARKS.md to stdout:
JSON Lines for `walctl ingest`, MESSAGES messages over CLIENTS clients picked
at random (seeded), ids in order per client, each payload a 100-byte JSON
object as walbench's ({"content": "..."}, 86 characters of content).

    python3 bench/ingest_input.py 1000000 10000 > input.jsonl
    /usr/bin/time -v walctl --dir D ingest < input.jsonl > /dev/null
"""
import argparse
import json
import random
import sys

FILLER = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
          "incididunt ut labore et dolore magna aliqua ut enim ad minim veniam quis nostrud "
          "exercitation ullamco")


def content(client, message_id):
    head = "c%02u m%010u " % (client % 100, message_id)
    start = message_id % 50
    return head + FILLER[start:start + 86 - len(head)]


def positive(text):
    value = int(text) if text.isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def main():
    parser = argparse.ArgumentParser(description="JSON Lines input for walctl ingest")
    parser.add_argument("messages", nargs="?", type=positive, default=1_000_000)
    parser.add_argument("clients", nargs="?", type=positive, default=10_000)
    args = parser.parse_args()
    messages, clients = args.messages, args.clients
    rng = random.Random(1)
    highest = [0] * clients
    out = sys.stdout
    for _ in range(messages):
        client = rng.randrange(clients)
        highest[client] += 1
        data = json.dumps({"content": content(client, highest[client])}, separators=(",", ":"))
        out.write('{"client":"client-%05u","id":%d,"data":%s}\n' % (client, highest[client], data))


if __name__ == "__main__":
    main()
