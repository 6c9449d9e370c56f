#!/usr/bin/env python3
"""End to end: RabbitMQ -> worker.py -> walctl ingest -> wal, with SIGKILLs.

Starts a private broker (local_broker.py), publishes numbered messages with
redeliveries (earlier batches published again later), runs the worker, and
SIGKILLs it mid-stream several times, restarting it each time. The broker
redelivers what was not acknowledged. At the end the client's state (the
list interpreter: every recorded message in id order) must hold every batch
exactly once, in order.

Exit 0 on success, 1 on failure, 77 (ctest: skipped) when the broker or pika
is unavailable here.

    end_to_end_test.py --walctl build/tools/walctl/walctl
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
DEBIAN_PYTHON = "/usr/bin/python3"

try:
    import pika
except ImportError:
    # ctest may run another Python (a virtualenv, pyenv) than Debian's, which has python3-pika.
    if os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON) and os.path.exists(
            DEBIAN_PYTHON) and not os.environ.get("WAL_E2E_REEXEC"):
        os.environ["WAL_E2E_REEXEC"] = "1"
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)
    print("SKIPPED: python3-pika is not installed (apt-get install python3-pika)")
    sys.exit(SKIP)

sys.path.insert(0, HERE)
from local_broker import BrokerUnavailable, LocalBroker  # noqa: E402

QUEUE = "wal_e2e"
CLIENT = "default"


def publish_all(port, count, rng):
    """Batches 1..count, in order; now and then an earlier batch again (a redelivery
    by the producer). Returns how many messages were published."""
    connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
    channel = connection.channel()
    channel.queue_declare(queue=QUEUE, durable=True)
    channel.confirm_delivery()
    published = 0
    for batch in range(1, count + 1):
        batches = [batch]
        if batch > 3 and rng.random() < 0.15:
            batches.append(rng.randint(max(1, batch - 5), batch))
        for b in batches:
            body = {"batch": b, "timestamp": 1700000000.0 + b, "content": f"Sentence {b}."}
            channel.basic_publish("", QUEUE, json.dumps(body),
                                  pika.BasicProperties(delivery_mode=2))
            published += 1
    connection.close()
    return published


def queue_depth(port):
    connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
    try:
        return connection.channel().queue_declare(queue=QUEUE, durable=True, passive=True)\
            .method.message_count
    finally:
        connection.close()


class Worker:
    """worker.py as a child process; its stdout lines are read by a thread."""

    def __init__(self, args, port, data_dir):
        self.acked = []  # ids, in the order acknowledged
        self.lines = threading.Condition()
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "worker.py"), "--port", str(port), "--queue", QUEUE,
             "--client-id", CLIENT, "--walctl", args.walctl, "--dir", data_dir,
             "--interpreter", "list"],
            stdout=subprocess.PIPE, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            event = json.loads(line)
            if event.get("event") == "acked":
                with self.lines:
                    self.acked.append(event["id"])
                    self.lines.notify_all()
        with self.lines:
            self.lines.notify_all()

    def wait_for_acks(self, count, timeout):
        with self.lines:
            return self.lines.wait_for(
                lambda: len(self.acked) >= count or self.process.poll() is not None, timeout)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.reader.join()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
        self.reader.join()


def run(args):
    rng = random.Random(args.seed)
    with LocalBroker() as broker:
        data_dir = tempfile.mkdtemp(prefix="wal-e2e-data-")  # kept on failure, for a look
        print(f"broker up on 127.0.0.1:{broker.port}; wal data in {data_dir}", flush=True)
        published = publish_all(broker.port, args.messages, rng)
        print(f"published {published} messages for batches 1..{args.messages}", flush=True)

        kills = 0
        all_acked = []
        deadline = time.monotonic() + args.timeout
        while True:
            worker = Worker(args, broker.port, data_dir)
            if kills < args.kills:
                # Kill once this run has acknowledged a few more messages, at a random moment.
                target = rng.randint(10, 30)
                if not worker.wait_for_acks(target, deadline - time.monotonic()):
                    worker.kill()
                    print("FAIL: the worker made no progress before the deadline")
                    return 1
                if worker.process.poll() is not None:
                    print(f"FAIL: the worker exited with code {worker.process.returncode}")
                    return 1
                time.sleep(rng.random() * 0.05)
                worker.kill()
                kills += 1
                all_acked += worker.acked
                print(f"SIGKILLed the worker (#{kills}) after {len(worker.acked)} acks this run, "
                      f"last id {worker.acked[-1] if worker.acked else None}", flush=True)
                continue
            # The last run drains the queue.
            while time.monotonic() < deadline:
                if worker.process.poll() is not None:
                    print(f"FAIL: the worker exited with code {worker.process.returncode}")
                    return 1
                with worker.lines:
                    done = args.messages in worker.acked
                if done and queue_depth(broker.port) == 0:
                    break
                time.sleep(0.2)
            else:
                worker.kill()
                print("FAIL: the queue was not drained before the deadline")
                return 1
            time.sleep(0.5)  # let the last acks of a duplicate tail arrive
            worker.stop()
            all_acked += worker.acked
            break

    state = subprocess.run([args.walctl, "--dir", data_dir, "--interpreter", "list", "retrieve",
                            CLIENT], capture_output=True, text=True)
    if state.returncode != 0:
        print(f"FAIL: walctl retrieve: {state.stderr}")
        return 1
    messages = json.loads(state.stdout)["messages"]
    batches = [m["batch"] for m in messages]
    expected = list(range(1, args.messages + 1))
    print(f"{kills} kills; {len(all_acked)} acks seen; state holds {len(batches)} messages",
          flush=True)
    if batches != expected:
        missing = sorted(set(expected) - set(batches))
        repeated = sorted({b for b in batches if batches.count(b) > 1})
        print(f"FAIL: state is not batches 1..{args.messages} once each in order: "
              f"missing {missing[:20]}, repeated {repeated[:20]}, first 30 {batches[:30]}")
        return 1
    if any(m["content"] != f"Sentence {m['batch']}." for m in messages):
        print("FAIL: a message's content does not match its batch")
        return 1
    if kills < 3:
        print(f"FAIL: only {kills} kills")
        return 1
    print(f"PASS: every one of {args.messages} batches recorded exactly once, in order, "
          f"across {kills} SIGKILLs")
    shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--walctl", required=True)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--kills", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=100.0, help="seconds for the consuming part")
    args = parser.parse_args()
    try:
        return run(args)
    except BrokerUnavailable as error:
        print(f"SKIPPED: rabbitmq-server could not start here: {error}")
        return SKIP


if __name__ == "__main__":
    sys.exit(main())
