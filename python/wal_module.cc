// The `wal` Python module: the seed's Python API on the C++ library.
//
//   from wal import WriteAheadLog, FileSystemStorage, ConsumerStateInterpreter
//   log = WriteAheadLog(state_interpreter=ConsumerStateInterpreter(),
//                       storage=FileSystemStorage(), service_name="svc",
//                       base_dir="/app/persistence")
//   log.persist("client123", {"content": "data"}, 5)   # True: acknowledge
//
// See python/README.md for the contract of each call.
#include <pybind11/pybind11.h>

#include "exceptions.h"
#include "json_convert.h"
#include "py_state_interpreter.h"
#include "py_write_ahead_log.h"
#include "wal/wal.h"

namespace py = pybind11;
using walpy::PyStateInterpreter;
using walpy::PyWriteAheadLog;

namespace {

using walpy::unwrap;

// The C++ pure virtuals, called through the base binding. On a Python
// subclass that is either a missing override or super().method(): calling the
// virtual again would recurse into the override, so say it is abstract.
void require_native(const wal::StateInterpreter& self, const char* method) {
  if (dynamic_cast<const PyStateInterpreter*>(&self) != nullptr) {
    throw py::type_error(std::string("StateInterpreter.") + method +
                         " is abstract: a Python interpreter must define it");
  }
}

void bind_interpreters(py::module_& m) {
  py::class_<wal::LogEntry>(m, "LogEntry", "One recorded message, as merge_data receives it.")
      .def(py::init([](uint64_t message_id, py::handle data) {
             return wal::LogEntry{message_id, walpy::to_json(data)};
           }),
           py::arg("message_id"), py::arg("data"))
      .def_readonly("message_id", &wal::LogEntry::message_id)
      .def_property_readonly(
          "data", [](const wal::LogEntry& entry) { return walpy::to_python(entry.data); },
          "The message's data (a fresh copy on each access).")
      .def("__repr__", [](const wal::LogEntry& entry) {
        return "LogEntry(message_id=" + std::to_string(entry.message_id) +
               ", data=" + py::repr(walpy::to_python(entry.data)).cast<std::string>() + ")";
      });

  // The base methods are callable from a subclass (super().format_data(...));
  // calling them dispatches virtually, so a Python override wins.
  py::class_<wal::StateInterpreter, PyStateInterpreter, std::shared_ptr<wal::StateInterpreter>>(
      m, "StateInterpreter",
      "Base class for interpreters written in Python. Override empty_state() and "
      "merge_data(state, entries); the others have defaults. Methods are called with the GIL "
      "held, from whichever thread called the log; they must not call the log themselves.")
      .def(py::init<>())
      .def("name", &wal::StateInterpreter::name)
      .def("format_data",
           [](const wal::StateInterpreter& self, const wal::Json& data) {
             return unwrap(self.wal::StateInterpreter::format_data(data));
           })
      .def("parse_data",
           [](const wal::StateInterpreter& self, const wal::Json& record) {
             return unwrap(self.wal::StateInterpreter::parse_data(record));
           })
      .def("empty_state",
           [](const wal::StateInterpreter& self) {
             require_native(self, "empty_state");
             return self.empty_state();
           })
      .def("merge_data",
           [](const wal::StateInterpreter& self, const wal::Json& state, py::list entries) {
             require_native(self, "merge_data");
             std::vector<wal::LogEntry> native;
             // By index, holding each entry: nothing keeps the list from changing.
             for (size_t index = 0; index < entries.size(); ++index) {
               const py::object entry = entries[index];
               native.push_back(entry.cast<wal::LogEntry>());
             }
             return unwrap(self.merge_data(state, native));
           })
      .def("format_checkpoint",
           [](const wal::StateInterpreter& self, const wal::Json& state) {
             return unwrap(self.wal::StateInterpreter::format_checkpoint(state));
           })
      .def("parse_checkpoint", [](const wal::StateInterpreter& self, const wal::Json& body) {
        return unwrap(self.wal::StateInterpreter::parse_checkpoint(body));
      });

  py::class_<wal::ConsumerStateInterpreter, wal::StateInterpreter,
             std::shared_ptr<wal::ConsumerStateInterpreter>>(
      m, "ConsumerStateInterpreter",
      "The original service's interpreter: 'content' strings joined by spaces in id order, "
      "other keys from the latest message that has them.")
      .def(py::init<>());
}

void bind_storage(py::module_& m) {
  py::class_<wal::Storage, std::shared_ptr<wal::Storage>>(
      m, "Storage", "Where the log keeps its files; implemented in C++ only.");
  py::class_<wal::FileSystemStorage, wal::Storage, std::shared_ptr<wal::FileSystemStorage>>(
      m, "FileSystemStorage", "The local POSIX file system (fsync'd, flock'ed).")
      .def(py::init<>());
}

void bind_write_ahead_log(py::module_& m) {
  static const wal::WriteAheadLogOptions kDefaults;
  py::class_<PyWriteAheadLog>(m, "WriteAheadLog",
                              "A durable, deduplicating per-client message log in base_dir.")
      .def(py::init([](py::object state_interpreter, py::object storage, std::string service_name,
                       std::string base_dir, py::handle checkpoint_threshold,
                       py::handle max_record_bytes, std::string layout, std::string dedup,
                       py::handle dedup_window, std::string sync_policy,
                       py::handle sync_interval_ms, std::string recovery_mode,
                       py::handle segment_bytes, py::handle checkpoint_bytes,
                       py::handle state_cache_bytes, py::handle checkpoint_cache_bytes) {
             const wal::WriteAheadLogOptions options =
                 walpy::log_options({.service_name = std::move(service_name),
                                     .base_dir = std::move(base_dir),
                                     .checkpoint_threshold = checkpoint_threshold,
                                     .checkpoint_cache_bytes = checkpoint_cache_bytes,
                                     .max_record_bytes = max_record_bytes,
                                     .layout = std::move(layout),
                                     .dedup = std::move(dedup),
                                     .dedup_window = dedup_window,
                                     .sync_policy = std::move(sync_policy),
                                     .sync_interval_ms = sync_interval_ms,
                                     .recovery_mode = std::move(recovery_mode),
                                     .segment_bytes = segment_bytes,
                                     .checkpoint_bytes = checkpoint_bytes,
                                     .state_cache_bytes = state_cache_bytes});
             return std::make_unique<PyWriteAheadLog>(std::move(state_interpreter),
                                                      std::move(storage), options);
           }),
           py::arg("state_interpreter"), py::arg("storage"),
           py::arg("service_name") = kDefaults.service_name,
           py::arg("base_dir") = kDefaults.base_dir,
           py::arg("checkpoint_threshold") = kDefaults.checkpoint_threshold,
           py::arg("max_record_bytes") = kDefaults.max_record_bytes,
           py::arg("layout") = wal::layout_name(kDefaults.layout),
           py::arg("dedup") = wal::dedup_policy_name(kDefaults.dedup.policy),
           py::arg("dedup_window") = kDefaults.dedup.window, py::kw_only(),
           py::arg("sync_policy") = wal::sync_policy_name(kDefaults.segmented.sync_policy),
           py::arg("sync_interval_ms") = kDefaults.segmented.sync_interval_ms,
           py::arg("recovery_mode") = wal::recovery_mode_name(kDefaults.segmented.recovery_mode),
           py::arg("segment_bytes") = kDefaults.segmented.segment_bytes,
           py::arg("checkpoint_bytes") = kDefaults.segmented.checkpoint_bytes,
           py::arg("state_cache_bytes") = kDefaults.segmented.state_cache_bytes,
           py::arg("checkpoint_cache_bytes") = kDefaults.checkpoint_cache_bytes,
           "Opens or creates base_dir. The keyword-only settings are the library's "
           "WriteAheadLogOptions: sync_policy ('always', 'interval', 'none'), sync_interval_ms, "
           "recovery_mode ('tolerate-torn-tail', 'absolute-consistency', 'point-in-time', "
           "'skip-damaged'), segment_bytes, checkpoint_bytes and state_cache_bytes apply to the "
           "segmented layout; checkpoint_cache_bytes to the seed layout.")
      .def(
          "persist",
          [](PyWriteAheadLog& self, const std::string& client_id, py::handle data,
             py::handle message_id) {
            // The seed's contract: True means the caller may acknowledge.
            // Failures raise; only a too-old id (exact dedup) returns False.
            return self.persist_outcome(client_id, data, message_id) != "too-old";
          },
          py::arg("client_id"), py::arg("data"), py::arg("message_id"),
          "Records data durably. True once recorded now or before (acknowledge the message); "
          "False when dedup='exact' finds the id below the window of tracked ids (not recorded: "
          "dead-letter it); raises wal.WalError when it could not be recorded.")
      .def("persist_outcome", &PyWriteAheadLog::persist_outcome, py::arg("client_id"),
           py::arg("data"), py::arg("message_id"),
           "As persist, but returns 'written', 'duplicate' or 'too-old'.")
      .def("retrieve", &PyWriteAheadLog::retrieve, py::arg("client_id"),
           "The client's merged state; the interpreter's empty state for an unknown client.")
      .def(
          "clear",
          [](PyWriteAheadLog& self, const std::string& client_id) {
            self.clear(client_id);
            return true;  // as the original's clear(); failures raise
          },
          py::arg("client_id"), "Forgets everything recorded for the client, atomically.")
      .def("clients", &PyWriteAheadLog::clients,
           "{client_id: highest recorded message id or None}, sorted by client id.")
      .def("check_health", &PyWriteAheadLog::check_health,
           "Raises wal.Failed if an earlier sync failure stops writes until reopened.")
      .def("recovery_report", &PyWriteAheadLog::recovery_report,
           "What start-up found and removed or ignored.")
      .def("close", &PyWriteAheadLog::close, "Releases base_dir; later calls raise wal.Failed.")
      .def_property_readonly("closed", &PyWriteAheadLog::closed)
      // Either may have been given as bytes that are not UTF-8.
      .def_property_readonly(
          "service_name",
          [](const PyWriteAheadLog& self) { return walpy::text_to_python(self.service_name()); })
      .def_property_readonly(
          "base_dir",
          [](const PyWriteAheadLog& self) { return walpy::path_to_python(self.base_dir()); })
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyWriteAheadLog& self, py::args) {
        self.close();
        return false;
      });
}

}  // namespace

PYBIND11_MODULE(wal, m) {
  m.doc() = "wal: a durable per-client write-ahead log with idempotent dedup (C++ core).";
  walpy::register_exceptions(m);
  bind_interpreters(m);
  bind_storage(m);
  bind_write_ahead_log(m);
  // A log left open would otherwise be closed during finalization, if at all,
  // while its background threads may still call Python.
  py::module_::import("atexit").attr("register")(py::cpp_function(&walpy::close_open_logs));
}
