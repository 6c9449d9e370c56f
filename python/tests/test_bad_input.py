"""Bad input: hostile client ids, bad message ids, data that is not JSON; round trips."""

import os
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


if __name__ == "__main__":
    unittest.main()
