"""Bad input: hostile client ids, bad message ids, data that is not JSON; round trips."""

import glob
import os
import re
import subprocess
import sys
import textwrap
import unittest

import wal
from wal_test_support import TempDirTestCase


class BadInputTest(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.log = self.open_log()

    def assert_nothing_outside(self):
        parent = os.path.dirname(self.base_dir)
        self.assertEqual(sorted(os.listdir(parent)), ["persistence"])

    def test_hostile_client_ids(self):
        for client_id in ["../x", "..", ".", "", "a/b", "/etc", ".hidden", "a\x00b", "a\nb",
                          "x" * 201]:
            with self.subTest(client_id=client_id):
                with self.assertRaises(wal.InvalidArgument):
                    self.log.persist(client_id, {"content": "x"}, 1)
                with self.assertRaises(ValueError):  # InvalidArgument is a ValueError
                    self.log.retrieve(client_id)
                with self.assertRaises(wal.InvalidArgument):
                    self.log.clear(client_id)
        self.assert_nothing_outside()
        self.assertEqual(self.log.clients(), {})

    def test_client_id_types(self):
        for client_id in [None, 5, ["a"]]:
            with self.subTest(client_id=client_id):
                with self.assertRaises(TypeError):
                    self.log.persist(client_id, {}, 1)

    def test_message_ids(self):
        for message_id in [-1, -(2**63), 2**64, 2**100]:
            with self.subTest(message_id=message_id):
                with self.assertRaises(wal.InvalidArgument) as caught:
                    self.log.persist("c", {"content": "x"}, message_id)
                self.assertIn(str(message_id), str(caught.exception))
        for message_id in [1.0, "5", None, True]:
            with self.subTest(message_id=message_id):
                with self.assertRaises(TypeError):
                    self.log.persist("c", {"content": "x"}, message_id)
        self.assertEqual(self.log.persist_outcome("c", {"content": "max"}, 2**64 - 1), "written")
        self.assertEqual(self.log.persist_outcome("c", {"content": "x"}, 0), "duplicate")

    def test_unsupported_data(self):
        class Custom:
            pass

        for data in [{1, 2}, {"a": {1}}, Custom(), b"bytes", {1: "int key"}, {("t",): 1},
                     [object()]]:
            with self.subTest(data=data):
                with self.assertRaises(TypeError):
                    self.log.persist("c", data, 1)
        for data in [float("nan"), {"x": float("inf")}, [-float("inf")], 2**64, -(2**63) - 1]:
            with self.subTest(data=data):
                with self.assertRaises(ValueError):
                    self.log.persist("c", data, 1)
        circular = []
        circular.append(circular)
        with self.assertRaises(ValueError):
            self.log.persist("c", circular, 1)
        with self.assertRaises(UnicodeEncodeError):
            self.log.persist("c", {"content": "\ud800"}, 1)
        with self.assertRaises(UnicodeEncodeError):
            self.log.persist("c", {"\ud800": "key"}, 1)
        self.assertEqual(self.log.clients(), {})  # nothing was recorded

    def test_round_trip_of_json_types(self):
        class Pass(wal.StateInterpreter):
            def empty_state(self):
                return None

            def merge_data(self, state, entries):
                return entries[-1].data

        log = self.open_log(Pass(), base_dir=self.base_dir + "-pass")
        data = {"z": 1, "a": [None, True, False, 0, -(2**63), 2**64 - 1, 1.5, -0.25, 1e300],
                "m": {"ünï": "日本\n\"q\"", "": {}}, "t": (1, 2)}
        log.persist("c", data, 1)
        back = log.retrieve("c")
        expected = dict(data, t=[1, 2])
        self.assertEqual(back, expected)
        self.assertEqual(list(back), ["z", "a", "m", "t"])  # key order kept
        self.assertEqual(list(back["m"]), ["ünï", ""])
        self.assertIs(type(back["a"][5]), int)

    def test_too_large_record(self):
        log = self.open_log(base_dir=self.base_dir + "-small", max_record_bytes=1000)
        with self.assertRaises(wal.InvalidArgument):
            log.persist("c", {"content": "x" * 2000}, 1)

    def test_bad_options(self):
        with self.assertRaises(wal.InvalidArgument):
            self.open_log(base_dir=self.base_dir + "-zero", checkpoint_threshold=0)
        with self.assertRaises(TypeError):
            wal.WriteAheadLog(state_interpreter="nope", storage=wal.FileSystemStorage(),
                              base_dir=self.base_dir + "-t")

    def test_exception_hierarchy(self):
        self.assertTrue(issubclass(wal.InvalidArgument, wal.WalError))
        self.assertTrue(issubclass(wal.InvalidArgument, ValueError))
        self.assertTrue(issubclass(wal.StorageError, OSError))
        self.assertTrue(issubclass(wal.NoSpace, wal.StorageError))
        for name in ["Corruption", "StorageError", "Locked", "Failed", "NotFound"]:
            self.assertTrue(issubclass(getattr(wal, name), wal.WalError), name)

    def test_storage_error_carries_errno(self):
        blocker = os.path.join(os.path.dirname(self.base_dir), "file")
        with open(blocker, "w"):
            pass
        with self.assertRaises(wal.StorageError) as caught:
            self.open_log(base_dir=os.path.join(blocker, "sub"))
        self.assertIsNotNone(caught.exception.errno)
        self.assertIsInstance(caught.exception, OSError)
        self.assertIsNotNone(caught.exception.filename)
        # str() is the library's message, not OSError's "[Errno N] None: 'path'".
        self.assertEqual(str(caught.exception), caught.exception.args[0])
        self.assertNotIn("None", str(caught.exception))

    def run_isolated(self, code):
        """Runs `code` in a fresh interpreter whose allocator poisons freed memory
        (PYTHONMALLOC=debug), so a use after free fails every time; returns stdout."""
        env = dict(os.environ, PYTHONMALLOC="debug")
        preamble = textwrap.dedent(f"""\
            import wal
            log = wal.WriteAheadLog(state_interpreter=wal.ConsumerStateInterpreter(),
                                    storage=wal.FileSystemStorage(),
                                    base_dir={self.base_dir + "-isolated"!r})
            """)
        run = subprocess.run([sys.executable, "-c", preamble + textwrap.dedent(code)], env=env,
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr)
        return run.stdout

    def test_list_subclass_with_fresh_items_does_not_crash(self):
        # A __getitem__ returning a new object used to leave the converter with
        # a freed item; the items are now taken as iteration (json.dumps) sees them.
        out = self.run_isolated("""
            class Fresh(list):
                def __getitem__(self, i):
                    return "fresh-" + str(i) * 50
            print(log.persist_outcome("c", {"v": Fresh([0, 1, 2]), "t": (Fresh([3]),)}, 1))
            print(log.retrieve("c"))
            """)
        self.assertEqual(out, "written\n{'content': '', 'v': [0, 1, 2], 't': [[3]]}\n")

    def test_containers_emptied_during_conversion_do_not_crash(self):
        # Python code run while converting (a list subclass's __iter__, or its
        # __getitem__ before) empties the dict or list being converted: its keys
        # and items must stay alive.
        out = self.run_isolated("""
            holder = {}
            class Key(str):
                pass
            class Emptier(list):
                def empty(self):
                    holder["container"].clear()
                def __iter__(self):
                    self.empty()
                    return super().__iter__()
                def __getitem__(self, index):
                    self.empty()
                    return super().__getitem__(index)
            holder["container"] = {Key("the-key"): Emptier([1]), Key("k2"): "v" * 40}
            try:
                log.persist("c", holder["container"], 1)
            except RuntimeError as error:
                print("RuntimeError", error)
            holder["container"] = [Emptier([1]), Key("x" * 40), Key("y" * 40)]
            print(log.persist_outcome("c", {"content": "ok", "v": holder["container"]}, 2))
            print(log.retrieve("c"))
            """)
        self.assertEqual(out.splitlines(), [
            "RuntimeError dictionary changed size during conversion to JSON",
            "written",
            "{'content': 'ok', 'v': [[1]]}",
        ])

    def test_ints_too_long_for_str_raise_invalid_argument(self):
        # str() of an int of more than 4300 digits raises a plain ValueError;
        # the messages give the size in bits instead.
        huge = 10**5000
        for message_id in [huge, -huge]:
            with self.subTest(message_id="-huge" if message_id < 0 else "huge"):
                with self.assertRaises(wal.InvalidArgument) as caught:
                    self.log.persist("c", {"content": "x"}, message_id)
                self.assertIn("of 16610 bits", str(caught.exception))
        for data in [huge, {"n": [-huge]}]:
            with self.assertRaises(wal.InvalidArgument):
                self.log.persist("c", data, 1)
        with self.assertRaises(wal.InvalidArgument):
            self.open_log(base_dir=self.base_dir + "-huge", checkpoint_threshold=huge)
        self.assertEqual(self.log.clients(), {})

    def test_non_utf8_paths_and_messages_raise_wal_errors(self):
        # Library texts quoting a path or a damaged file need not be UTF-8:
        # they used to raise UnicodeDecodeError instead of the wal error.
        base_dir = os.fsencode(self.base_dir) + b"-bad\xff"
        log = self.open_log(base_dir=base_dir)
        self.assertEqual(log.base_dir, os.fsdecode(base_dir))
        with self.assertRaises(wal.Locked) as caught:
            self.open_log(base_dir=base_dir)
        self.assertIn("-bad\\xff", str(caught.exception))
        self.assertEqual(os.fsencode(caught.exception.path), base_dir + b"/.wal.lock")
        log.close()
        with self.assertRaises(wal.Failed):
            log.persist("c", {}, 1)

        # A stray folder whose name is not UTF-8, in the recovery report.
        seed_dir = self.base_dir + "-seed"
        log = self.open_log(base_dir=seed_dir, checkpoint_threshold=100)
        log.persist("c", {"content": "AAAA"}, 1)
        log.close()
        os.mkdir(os.path.join(os.fsencode(seed_dir), b"stray\xff"))
        # And a seed log file (without checksum, as the original writes it) whose
        # string holds a byte that is not UTF-8.
        [log_file] = glob.glob(os.path.join(seed_dir, "c", "log_*"))
        with open(log_file, "rb") as f:
            record = f.read()
        record = re.sub(rb', "crc32c": "[0-9a-f]+"', b"", record).replace(b"AAAA", b"A\xffAA")
        with open(log_file, "wb") as f:
            f.write(record)
        log = self.open_log(base_dir=seed_dir)
        report = log.recovery_report()
        paths = [os.fsencode(event["path"]) for event in report["events"]]
        self.assertIn(os.path.join(os.fsencode(seed_dir), b"stray\xff"), paths)
        with self.assertRaises(wal.Corruption):
            log.retrieve("c")


if __name__ == "__main__":
    unittest.main()
