"""A Python subclass of wal.StateInterpreter as the log's interpreter."""

import gc
import subprocess
import sys
import textwrap
import unittest

import wal
from wal_test_support import TempDirTestCase


class EventList(wal.StateInterpreter):
    """Keeps every message as [id, data], and counts its calls."""

    def __init__(self):
        super().__init__()
        self.merges = 0

    def name(self):
        return "event-list"

    def empty_state(self):
        return {"events": []}

    def merge_data(self, state, entries):
        self.merges += 1
        for entry in entries:
            state["events"].append([entry.message_id, entry.data])
        return state


class Sum(wal.StateInterpreter):
    """Sums "n" over messages; checkpoints in its own shape."""

    def empty_state(self):
        return {"total": 0}

    def merge_data(self, state, entries):
        return {"total": state["total"] + sum(e.data["n"] for e in entries)}

    def format_checkpoint(self, state):
        return {"sum": state["total"]}

    def parse_checkpoint(self, body):
        return {"total": body["sum"]}


class Count(wal.StateInterpreter):
    """Counts messages."""

    def empty_state(self):
        return {"n": 0}

    def merge_data(self, state, entries):
        return {"n": state["n"] + len(entries)}


class Boom(Exception):
    pass


class Failing(EventList):
    def merge_data(self, state, entries):
        raise Boom("merge refused")


class NoMerge(wal.StateInterpreter):
    def empty_state(self):
        return {}


class InterpreterTest(TempDirTestCase):
    def test_python_merge(self):
        interpreter = EventList()
        log = self.open_log(interpreter)
        log.persist("c", {"k": [1, 2.5, None, True]}, 1)
        log.persist("c", "plain string", 2)
        self.assertEqual(log.retrieve("c"),
                         {"events": [[1, {"k": [1, 2.5, None, True]}], [2, "plain string"]]})
        self.assertGreater(interpreter.merges, 0)

    def test_custom_checkpoint_survives_restart(self):
        log = self.open_log(Sum(), checkpoint_threshold=2)
        for i in range(1, 6):
            log.persist("c", {"n": i}, i)
        self.assertEqual(log.retrieve("c"), {"total": 15})
        log.close()
        log = self.open_log(Sum(), checkpoint_threshold=2)
        self.assertEqual(log.retrieve("c"), {"total": 15})
        self.assertEqual(log.persist_outcome("c", {"n": 100}, 5), "duplicate")

    def test_base_methods_are_callable(self):
        interpreter = EventList()
        self.assertEqual(interpreter.name(), "event-list")
        self.assertEqual(interpreter.format_data({"a": 1}), {"data": {"a": 1}, "_metadata": {}})
        self.assertEqual(interpreter.parse_data({"data": 5, "_metadata": {}}), 5)
        self.assertEqual(interpreter.format_checkpoint({"x": 1}), {"state": {"x": 1}})
        self.assertEqual(interpreter.parse_checkpoint({"state": {"x": 1}}), {"x": 1})
        self.assertEqual(Sum().name(), "Sum")  # not overridden: the class name
        entry = wal.LogEntry(7, {"a": [1]})
        self.assertEqual((entry.message_id, entry.data), (7, {"a": [1]}))

    def test_native_interpreter_through_base_methods(self):
        consumer = wal.ConsumerStateInterpreter()
        self.assertEqual(consumer.name(), "consumer")
        self.assertEqual(consumer.empty_state(), {"content": ""})
        merged = consumer.merge_data(consumer.empty_state(),
                                     [wal.LogEntry(1, {"content": "a"}),
                                      wal.LogEntry(2, {"content": "b"})])
        self.assertEqual(merged, {"content": "a b"})
        # format_data makes the checks the native interpreter makes at persist.
        self.assertEqual(consumer.format_data({"content": "a"}),
                         {"data": {"content": "a"}, "_metadata": {}})
        for refused in [7, {"content": 3}, {"_metadata": {}}]:
            with self.subTest(data=refused):
                with self.assertRaises(wal.InvalidArgument):
                    consumer.format_data(refused)

    def test_python_exception_propagates_as_raised(self):
        log = self.open_log(Failing())
        log.persist("c", {"x": 1}, 1)  # merge_data is not needed to record
        with self.assertRaises(Boom) as caught:
            log.retrieve("c")
        self.assertEqual(str(caught.exception), "merge refused")
        # The log is still usable afterwards.
        self.assertEqual(log.persist_outcome("c", {"x": 2}, 2), "written")

    def test_missing_override(self):
        log = self.open_log(NoMerge())
        log.persist("c", {"x": 1}, 1)
        with self.assertRaises(RuntimeError):  # pybind11's "pure virtual" error
            log.retrieve("c")
        with self.assertRaises(TypeError):
            NoMerge().merge_data({}, [])

    def test_bad_return_value(self):
        class ReturnsSet(EventList):
            def merge_data(self, state, entries):
                return {1, 2}

        log = self.open_log(ReturnsSet())
        log.persist("c", {"x": 1}, 1)
        with self.assertRaises(TypeError):
            log.retrieve("c")

    def test_interpreter_kept_alive_by_the_log(self):
        log = self.open_log(EventList())  # no other reference to the interpreter
        gc.collect()
        log.persist("c", {"x": 1}, 1)
        self.assertEqual(log.retrieve("c"), {"events": [[1, {"x": 1}]]})

    def test_log_left_open_at_exit_with_background_snapshots(self):
        # Snapshots of a segmented log run in a background thread and call the
        # Python interpreter; a log never closed used to crash the interpreter
        # at exit (most runs) as that thread took the GIL during finalization.
        program = textwrap.dedent("""\
            import sys, time, wal
            class Slow(wal.StateInterpreter):
                def empty_state(self):
                    return {"n": 0}
                def merge_data(self, state, entries):
                    time.sleep(0.002)
                    return {"n": state["n"] + len(entries)}
            log = wal.WriteAheadLog(state_interpreter=Slow(), storage=wal.FileSystemStorage(),
                                    base_dir=sys.argv[1], layout="segmented",
                                    checkpoint_bytes=4096)
            for i in range(1000):
                log.persist("c%d" % (i % 50), {"content": "x" * 50}, i)
            """)
        for run in range(5):
            base_dir = f"{self.base_dir}-{run}"
            with self.subTest(run=run):
                done = subprocess.run([sys.executable, "-c", program, base_dir],
                                      capture_output=True, text=True, timeout=120)
                self.assertEqual(done.returncode, 0, done.stderr)
                log = self.open_log(Count(), base_dir=base_dir, layout="auto")
                self.assertEqual(len(log.clients()), 50)
                self.assertEqual(sum(log.retrieve(c)["n"] for c in log.clients()), 1000)
                log.close()


if __name__ == "__main__":
    unittest.main()
