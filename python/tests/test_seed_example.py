"""The seed README's usage example, verbatim but for the import and base_dir."""

import contextlib
import io
import os
import tempfile
import unittest


def seed_example(base_dir):
    from wal import ConsumerStateInterpreter, FileSystemStorage, WriteAheadLog

    # ---- from the seed README (only base_dir differs) ----
    # Initialize components
    storage = FileSystemStorage()
    state_interpreter = ConsumerStateInterpreter()

    # Create WAL instance
    wal = WriteAheadLog(
        state_interpreter=state_interpreter,
        storage=storage,
        service_name="my_service",
        base_dir=base_dir
    )

    # Persist data - note that message_id is now an integer
    client_id = "client123"
    data = {"content": "some important business data"}
    message_id = 5  # Integer message ID for efficient processing
    wal.persist(client_id, data, message_id)

    # Retrieve data - recovery happens automatically if needed
    retrieved_data = wal.retrieve(client_id)
    print(retrieved_data)  # {'content': 'some important business data'}

    # Clear data when no longer needed
    wal.clear(client_id)
    # ---- end of the seed example ----
    return wal


class SeedExampleTest(unittest.TestCase):
    def test_runs_as_written(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                log = seed_example(os.path.join(tmp, "persistence"))
            self.assertEqual(out.getvalue(), "{'content': 'some important business data'}\n")
            self.assertEqual(log.retrieve("client123"), {"content": ""})
            self.assertEqual(log.clients(), {})
            log.close()

    def test_with_checkpoint_threshold(self):
        from wal import ConsumerStateInterpreter, FileSystemStorage, WriteAheadLog

        with tempfile.TemporaryDirectory() as tmp:
            wal = WriteAheadLog(state_interpreter=ConsumerStateInterpreter(),
                                storage=FileSystemStorage(), service_name="my_service",
                                base_dir=tmp, checkpoint_threshold=3)
            self.assertIs(wal.persist("client123", {"content": "a"}, 1), True)
            self.assertIs(wal.persist("client123", {"content": "a"}, 1), True)  # duplicate
            self.assertEqual(wal.service_name, "my_service")
            self.assertEqual(wal.base_dir, tmp)
            wal.close()


if __name__ == "__main__":
    unittest.main()
