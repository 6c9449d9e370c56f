#!/usr/bin/env python3
"""A RabbitMQ worker that records every message in wal before acknowledging it.

It consumes messages shaped as the original service's were,
{"batch": n, "timestamp": <float>, "content": "<sentence>"}, takes the
message id from "batch" and persists the whole body for one client through a
long-running `walctl ingest` child: one JSON line in, one outcome line out,
and walctl prints the outcome only once the message is durable. The message is
acknowledged only after that line has arrived ("written" or "duplicate"), as
the original worker acknowledged only after persist returned. Killed at any
moment, the worker loses nothing: an unacknowledged message is redelivered,
and a redelivered message already recorded comes back "duplicate".

Dedup is wal's high-water mark: an id at or below the client's highest
recorded id is a duplicate. Messages must therefore reach wal in id order;
one worker with the default prefetch of 1 keeps the queue's order, including
across redeliveries (RabbitMQ requeues to the original position).

Needs Debian's python3-pika and walctl. See README.md.
"""

import argparse
import ctypes
import json
import signal
import subprocess
import sys
import time

import pika

PR_SET_PDEATHSIG = 1
EXIT_LOCKED = 4  # walctl: the data directory is locked by another process


def _die_with_parent():
    """Runs in the walctl child: SIGKILL it when the worker dies, however it dies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class WalError(Exception):
    pass


class Wal:
    """`walctl ingest` as a persist function."""

    def __init__(self, walctl, data_dir, interpreter):
        self._argv = [walctl, "--dir", data_dir, "--interpreter", interpreter, "ingest"]
        self._process = None

    def _start(self):
        self._process = subprocess.Popen(
            self._argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
            preexec_fn=_die_with_parent,
        )

    def persist(self, client_id, data, message_id, lock_wait_seconds=30.0):
        """Returns "written", "duplicate" or "rejected" once walctl has answered.

        Raises WalError when walctl stops without answering: the message may or
        may not be recorded, so it must not be acknowledged.
        """
        line = json.dumps({"client": client_id, "id": message_id, "data": data}) + "\n"
        deadline = time.monotonic() + lock_wait_seconds
        while True:
            if self._process is None:
                self._start()
            try:
                self._process.stdin.write(line)
                self._process.stdin.flush()
                reply = self._process.stdout.readline()
            except BrokenPipeError:
                reply = ""
            if reply:
                return json.loads(reply)["outcome"]
            code = self._process.wait()
            self._process = None
            # A previous worker's walctl may still hold the lock for a moment
            # after that worker was killed: wait for it to go.
            if code == EXIT_LOCKED and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            raise WalError(f"walctl ingest exited with code {code} without answering")

    def close(self):
        if self._process is not None:
            self._process.stdin.close()
            self._process.wait()
            self._process = None


def log(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5672)
    parser.add_argument("--queue", default="wal_messages")
    parser.add_argument("--client-id", default="default", help="wal client the messages belong to")
    parser.add_argument("--walctl", default="walctl", help="path of the walctl binary")
    parser.add_argument("--dir", required=True, help="wal data directory")
    parser.add_argument("--interpreter", default="consumer",
                        help="consumer, merge-patch, list or latest (as walctl --interpreter)")
    parser.add_argument("--prefetch", type=int, default=1)
    return parser.parse_args(argv)


def connect(args, attempts=30):
    for attempt in range(attempts):
        try:
            return pika.BlockingConnection(
                pika.ConnectionParameters(host=args.host, port=args.port, heartbeat=30))
        except pika.exceptions.AMQPConnectionError:
            if attempt == attempts - 1:
                raise
            time.sleep(1)


def main(argv):
    args = parse_args(argv)
    wal = Wal(args.walctl, args.dir, args.interpreter)
    connection = connect(args)
    channel = connection.channel()
    channel.queue_declare(queue=args.queue, durable=True)
    channel.basic_qos(prefetch_count=args.prefetch)

    def on_message(channel, method, properties, body):
        try:
            message = json.loads(body)
            message_id = int(message["batch"])
        except (ValueError, KeyError, TypeError) as error:
            log("malformed", error=str(error), body=body.decode("utf-8", "replace"))
            channel.basic_reject(method.delivery_tag, requeue=False)
            return
        outcome = wal.persist(args.client_id, message, message_id)  # WalError: exit, no ack
        if outcome == "rejected":
            # wal refuses this message and always will: do not requeue it.
            log("rejected", id=message_id)
            channel.basic_reject(method.delivery_tag, requeue=False)
            return
        channel.basic_ack(method.delivery_tag)
        log("acked", id=message_id, outcome=outcome, redelivered=method.redelivered)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    channel.basic_consume(queue=args.queue, on_message_callback=on_message)
    log("consuming", queue=args.queue, port=args.port)
    try:
        channel.start_consuming()
    except KeyboardInterrupt:
        pass
    finally:
        wal.close()
        try:
            connection.close()
        except Exception:  # the connection may already be gone
            pass
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except WalError as error:
        print(f"worker: {error}; unacknowledged messages will be redelivered", file=sys.stderr)
        sys.exit(1)
