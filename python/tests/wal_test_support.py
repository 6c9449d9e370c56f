"""Shared helpers for the wal module's tests: a temporary base_dir per test."""

import os
import tempfile
import unittest

import wal


class TempDirTestCase(unittest.TestCase):
    """Gives each test self.base_dir, a fresh directory removed afterwards."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="wal-py-")
        self.base_dir = os.path.join(self._tmp.name, "persistence")
        self._logs = []

    def tearDown(self):
        for log in self._logs:
            log.close()
        self._tmp.cleanup()

    def open_log(self, interpreter=None, **options):
        """A WriteAheadLog on self.base_dir, closed at tearDown."""
        options.setdefault("service_name", "test")
        options.setdefault("base_dir", self.base_dir)
        log = wal.WriteAheadLog(
            state_interpreter=interpreter or wal.ConsumerStateInterpreter(),
            storage=wal.FileSystemStorage(),
            **options,
        )
        self._logs.append(log)
        return log

    def client_files(self, client_id):
        return sorted(os.listdir(os.path.join(self.base_dir, client_id)))
