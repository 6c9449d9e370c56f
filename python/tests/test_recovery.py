"""Restart recovery, dedup across restarts, written vs duplicate, checkpoints."""

import os
import unittest

import wal
from wal_test_support import TempDirTestCase


class RecoveryTest(TempDirTestCase):
    def test_written_then_duplicate(self):
        log = self.open_log()
        self.assertEqual(log.persist_outcome("c", {"content": "one"}, 1), "written")
        self.assertEqual(log.persist_outcome("c", {"content": "one again"}, 1), "duplicate")
        self.assertEqual(log.persist_outcome("c", {"content": "older"}, 0), "duplicate")
        self.assertEqual(log.persist_outcome("c", {"content": "two"}, 2), "written")
        # persist keeps the seed's contract: True for both outcomes.
        self.assertIs(log.persist("c", {"content": "two"}, 2), True)
        self.assertIs(log.persist("c", {"content": "three"}, 3), True)
        self.assertEqual(log.retrieve("c"), {"content": "one two three"})

    def test_state_survives_restart(self):
        log = self.open_log(checkpoint_threshold=3)
        for i in range(1, 8):  # two checkpoints and a log file
            log.persist("client", {"content": f"m{i}", "last": i}, i)
        log.close()
        self.assertTrue(log.closed)
        with self.assertRaises(wal.Failed):
            log.retrieve("client")

        files = self.client_files("client")
        self.assertTrue(any(f.startswith("checkpoint_") for f in files), files)
        self.assertTrue(any(f.startswith("log_") for f in files), files)

        reopened = self.open_log(checkpoint_threshold=3)
        expected = {"content": " ".join(f"m{i}" for i in range(1, 8)), "last": 7}
        self.assertEqual(reopened.retrieve("client"), expected)
        self.assertEqual(reopened.clients(), {"client": 7})
        self.assertEqual(reopened.recovery_report()["clients"], 1)

    def test_dedup_across_restart(self):
        with self.open_log() as log:
            for i in range(1, 5):
                self.assertEqual(log.persist_outcome("c", {"content": str(i)}, i), "written")
        log = self.open_log()
        for i in range(1, 5):  # redeliveries after a restart
            self.assertEqual(log.persist_outcome("c", {"content": "again"}, i), "duplicate")
        self.assertEqual(log.persist_outcome("c", {"content": "5"}, 5), "written")
        self.assertEqual(log.retrieve("c"), {"content": "1 2 3 4 5"})

    def test_clear_survives_restart(self):
        log = self.open_log()
        log.persist("a", {"content": "x"}, 1)
        log.persist("b", {"content": "y"}, 1)
        self.assertIs(log.clear("a"), True)
        log.close()
        log = self.open_log()
        self.assertEqual(log.clients(), {"b": 1})
        self.assertEqual(log.retrieve("a"), {"content": ""})
        # After clear the client starts over: id 1 is new again.
        self.assertEqual(log.persist_outcome("a", {"content": "z"}, 1), "written")

    def test_unknown_client_creates_nothing(self):
        log = self.open_log()
        self.assertEqual(log.retrieve("nobody"), {"content": ""})
        self.assertFalse(os.path.exists(os.path.join(self.base_dir, "nobody")))

    def test_second_instance_is_locked(self):
        self.open_log()
        with self.assertRaises(wal.Locked) as caught:
            self.open_log()
        self.assertIsInstance(caught.exception, wal.WalError)
        self.assertIn(".wal.lock", str(caught.exception))
        self.assertEqual(caught.exception.code, "locked")

    def test_close_releases_the_directory(self):
        first = self.open_log()
        first.close()
        first.close()  # idempotent
        second = self.open_log()
        self.assertEqual(second.retrieve("c"), {"content": ""})


if __name__ == "__main__":
    unittest.main()
