"""The segmented layout's settings, passed as keyword arguments, take effect."""

import os
import unittest

import wal
from wal_test_support import TempDirTestCase

SEGMENT_BYTES = 64 * 1024


class OptionsTest(TempDirTestCase):
    def open_segmented(self, **options):
        return self.open_log(layout="segmented", **options)

    def segments(self):
        return sorted(name for name in os.listdir(self.base_dir) if name.startswith("segment-"))

    def fill(self, log, count):
        for i in range(1, count + 1):
            log.persist("c", {"content": "m%d %s" % (i, "x" * 200)}, i)

    def test_segment_bytes_sizes_the_segment_files(self):
        log = self.open_segmented(segment_bytes=SEGMENT_BYTES, sync_policy="none")
        self.fill(log, 600)
        log.close()
        self.assertGreaterEqual(len(self.segments()), 2)
        for name in self.segments():
            self.assertEqual(os.path.getsize(os.path.join(self.base_dir, name)), SEGMENT_BYTES)
        reopened = self.open_segmented()
        self.assertEqual(len(reopened.retrieve("c")["content"].split(" x")), 601)

    def test_interval_policy_records_and_reads_back(self):
        log = self.open_segmented(sync_policy="interval", sync_interval_ms=5)
        self.fill(log, 20)
        log.close()
        self.assertTrue(self.open_segmented().retrieve("c")["content"].startswith("m1 "))

    def test_recovery_mode_decides_what_damage_in_the_middle_does(self):
        log = self.open_segmented(segment_bytes=SEGMENT_BYTES, sync_policy="none")
        self.fill(log, 600)
        log.close()
        first = os.path.join(self.base_dir, self.segments()[0])
        with open(first, "r+b") as segment:  # a byte inside the first message's JSON
            segment.seek(40)
            byte = segment.read(1)
            segment.seek(40)
            segment.write(bytes([byte[0] ^ 0xFF]))
        for mode in ["tolerate-torn-tail", "absolute-consistency"]:
            with self.subTest(mode=mode):
                with self.assertRaises(wal.Corruption) as raised:
                    self.open_segmented(recovery_mode=mode)
                self.assertEqual(raised.exception.offset, 0)  # the first message's frame
                self.assertEqual(os.path.basename(raised.exception.path), self.segments()[0])
        skipped = self.open_segmented(recovery_mode="skip-damaged")
        content = skipped.retrieve("c")["content"]
        self.assertTrue(content.startswith("m2 "))
        self.assertEqual(len(content.split(" x")), 600)  # all but the first
        skipped.close()
        # point-in-time keeps what comes before the damage (nothing here) and
        # deletes the rest from disk for good.
        kept = self.open_segmented(recovery_mode="point-in-time")
        self.assertEqual(kept.retrieve("c"), {"content": ""})

    def test_unknown_names_and_impossible_sizes_are_refused(self):
        cases = [
            ({"sync_policy": "sometimes"}, "the policies are: always, interval, none"),
            ({"recovery_mode": "hope"}, "the modes are: tolerate-torn-tail, absolute-consistency, "
                                        "point-in-time, skip-damaged"),
            ({"segment_bytes": 100}, "segment_bytes must be at least 4096"),
            ({"segment_bytes": 2**31}, "segment_bytes must be at most 1073741824"),
            ({"segment_bytes": -1}, "segment_bytes -1 is not between 0 and 2**64-1"),
            ({"sync_interval_ms": 2**32}, "sync_interval_ms 4294967296 is not between 0 and "
                                          "2**32-1"),
            ({"sync_policy": "interval", "sync_interval_ms": 0},
             "sync_interval_ms must be at least 1"),
            ({"state_cache_bytes": 2**64}, "is not between 0 and 2**64-1"),
        ]
        for options, message in cases:
            with self.subTest(options=options):
                with self.assertRaises(wal.InvalidArgument) as raised:
                    self.open_segmented(base_dir=self.base_dir + "-bad", **options)
                self.assertIn(message, str(raised.exception))
        for not_an_int in [True, 65536.0, "65536"]:
            with self.subTest(segment_bytes=not_an_int):
                with self.assertRaises(TypeError) as raised:
                    self.open_segmented(base_dir=self.base_dir + "-bad", segment_bytes=not_an_int)
                self.assertIn("segment_bytes must be an int", str(raised.exception))
        with self.assertRaises(TypeError):  # keyword-only
            wal.WriteAheadLog(wal.ConsumerStateInterpreter(), wal.FileSystemStorage(), "s",
                              self.base_dir + "-positional", 3, 1 << 20, "auto",
                              "high-water-mark", 1024, "none")


if __name__ == "__main__":
    unittest.main()
