"""dedup='exact': a message requeued behind a later one is written in its place."""

import unittest

import wal
from wal_test_support import TempDirTestCase


class IdList(wal.StateInterpreter):
    """State: the message ids, in the order merge_data receives them."""

    def name(self):
        return "id-list"

    def empty_state(self):
        return {"ids": []}

    def merge_data(self, state, entries):
        return {"ids": state["ids"] + [entry.message_id for entry in entries]}


class ExactDedupTest(TempDirTestCase):
    def open_exact(self, **options):
        options.setdefault("layout", "segmented")
        return self.open_log(IdList(), dedup="exact", **options)

    def test_requeued_message_is_written_in_its_place(self):
        log = self.open_exact()
        for message_id in (1, 2, 3, 4, 6):
            self.assertEqual(log.persist_outcome("c", {"id": message_id}, message_id), "written")
        self.assertEqual(log.persist_outcome("c", {"id": 5}, 5), "written")
        self.assertEqual(log.persist_outcome("c", {"id": 5}, 5), "duplicate")
        self.assertEqual(log.retrieve("c"), {"ids": [1, 2, 3, 4, 5, 6]})

    def test_default_policy_skips_the_requeued_message(self):
        log = self.open_log(IdList(), layout="segmented")
        for message_id in (1, 2, 3, 4, 6):
            log.persist("c", {"id": message_id}, message_id)
        self.assertEqual(log.persist_outcome("c", {"id": 5}, 5), "duplicate")

    def test_too_old_is_not_acknowledged(self):
        log = self.open_exact(dedup_window=10)
        self.assertIs(log.persist("c", {"id": 1}, 1), True)
        self.assertIs(log.persist("c", {"id": 30}, 30), True)
        self.assertEqual(log.persist_outcome("c", {"id": 5}, 5), "too-old")
        self.assertIs(log.persist("c", {"id": 5}, 5), False)
        self.assertEqual(log.retrieve("c"), {"ids": [1, 30]})

    def test_reopening_with_the_other_policy_is_refused(self):
        log = self.open_exact()
        log.persist("c", {"id": 1}, 1)
        log.close()
        with self.assertRaises(wal.InvalidArgument) as raised:
            self.open_log(IdList(), layout="segmented")
        self.assertIn("exact", str(raised.exception))

    def test_unknown_policy_is_a_clear_error(self):
        with self.assertRaises(wal.InvalidArgument) as raised:
            self.open_log(dedup="newest")
        self.assertIn("high-water-mark, exact", str(raised.exception))


if __name__ == "__main__":
    unittest.main()
