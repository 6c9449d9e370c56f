"""Threads: nothing lost, nothing duplicated, no deadlock with Python interpreters."""

import threading
import unittest

import wal
from wal_test_support import TempDirTestCase

THREADS = 8
MESSAGES = 40


class Collect(wal.StateInterpreter):
    def empty_state(self):
        return {"ids": []}

    def merge_data(self, state, entries):
        state["ids"].extend(e.message_id for e in entries)
        return state


def run_threads(target):
    errors = []

    def guarded(index):
        try:
            target(index)
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        if thread.is_alive():
            raise AssertionError("a thread is stuck: deadlock?")
    if errors:
        raise errors[0]


class ThreadsTest(TempDirTestCase):
    def check_one_client(self, interpreter, state_ids):
        """Every thread delivers the same ids in order, as redeliveries race."""
        log = self.open_log(interpreter, checkpoint_threshold=3)
        outcomes = []
        lock = threading.Lock()

        def deliver(_index):
            for message_id in range(1, MESSAGES + 1):
                outcome = log.persist_outcome("shared", {"content": str(message_id)}, message_id)
                with lock:
                    outcomes.append((message_id, outcome))

        run_threads(deliver)
        written = sorted(i for i, outcome in outcomes if outcome == "written")
        self.assertEqual(written, list(range(1, MESSAGES + 1)))  # each id written exactly once
        self.assertEqual(len(outcomes), THREADS * MESSAGES)
        self.assertEqual(state_ids(log.retrieve("shared")), list(range(1, MESSAGES + 1)))

    def test_one_client_consumer(self):
        self.check_one_client(wal.ConsumerStateInterpreter(),
                              lambda state: [int(x) for x in state["content"].split()])

    def test_one_client_python_interpreter(self):
        self.check_one_client(Collect(), lambda state: state["ids"])

    def check_many_clients(self, interpreter, state_ids):
        log = self.open_log(interpreter, checkpoint_threshold=4)

        def work(index):
            for message_id in range(1, MESSAGES + 1):
                for client in (f"client-{index}-a", f"client-{index}-b"):
                    self.assertTrue(log.persist(client, {"content": str(message_id)}, message_id))
                if message_id % 10 == 0:  # readers interleave with writers
                    log.retrieve(f"client-{(index + 1) % THREADS}-a")

        run_threads(work)
        clients = log.clients()
        self.assertEqual(len(clients), 2 * THREADS)
        self.assertTrue(all(max_id == MESSAGES for max_id in clients.values()))
        for client in clients:
            self.assertEqual(state_ids(log.retrieve(client)), list(range(1, MESSAGES + 1)))
        log.close()
        reopened = self.open_log(interpreter, checkpoint_threshold=4)
        for client in clients:
            self.assertEqual(state_ids(reopened.retrieve(client)), list(range(1, MESSAGES + 1)))

    def test_many_clients_consumer(self):
        self.check_many_clients(wal.ConsumerStateInterpreter(),
                                lambda state: [int(x) for x in state["content"].split()])

    def test_many_clients_python_interpreter(self):
        self.check_many_clients(Collect(), lambda state: state["ids"])

    def test_no_deadlock_on_a_client_lock_held_by_python_code(self):
        """Thread A is inside merge_data (holding the client's lock in the library,
        and the GIL); thread B calls the log for the same client and must wait for
        that lock without the GIL, or A could never finish."""
        entered = threading.Event()
        release = threading.Event()

        class Blocking(Collect):
            def merge_data(self, state, entries):
                if threading.current_thread().name == "A":
                    entered.set()
                    release.wait(timeout=60)
                return super().merge_data(state, entries)

        log = self.open_log(Blocking())
        log.persist("c", {}, 1)
        results = {}

        def call(name):
            results[name] = log.retrieve("c")

        a = threading.Thread(target=call, args=("A",), name="A")
        a.start()
        self.assertTrue(entered.wait(timeout=60))
        b = threading.Thread(target=call, args=("B",), name="B")
        b.start()
        b.join(timeout=0.2)  # B waits on the client lock (or runs: both fine)
        self.assertEqual(log.retrieve("other"), {"ids": []})  # main thread not blocked
        release.set()
        for thread in (a, b):
            thread.join(timeout=60)
            self.assertFalse(thread.is_alive(), "deadlock")
        self.assertEqual(results, {"A": {"ids": [1]}, "B": {"ids": [1]}})

    def test_close_while_threads_persist(self):
        log = self.open_log(Collect())
        started = threading.Event()

        def work(index):
            started.set()
            try:
                for message_id in range(1, 1000):
                    log.persist(f"c{index}", {"n": message_id}, message_id)
            except wal.Failed:
                pass  # closed under us: refused cleanly

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        started.wait()
        log.close()
        for thread in threads:
            thread.join(timeout=120)
            self.assertFalse(thread.is_alive())


if __name__ == "__main__":
    unittest.main()
