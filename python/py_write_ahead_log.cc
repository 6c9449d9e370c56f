#include "py_write_ahead_log.h"

#include <limits>
#include <mutex>
#include <unordered_set>
#include <utility>

#include "exceptions.h"
#include "json_convert.h"
#include "py_state_interpreter.h"

namespace walpy {
namespace {

// A failed call: re-raise what a Python interpreter method raised during it,
// as it was raised, else the library's status as a wal.WalError.
[[noreturn]] void raise_failure(const wal::Status& status) {
  if (std::exception_ptr python_error = take_python_error()) std::rethrow_exception(python_error);
  throw_status(status);
}

std::string type_name(py::handle object) {
  return py::str(py::type::handle_of(object).attr("__name__")).cast<std::string>();
}

template <typename T>
void require_instance(py::handle object, const char* argument, const char* expected) {
  if (!py::isinstance<T>(object)) {
    throw py::type_error(std::string(argument) + " must be a " + expected + ", not " +
                         type_name(object));
  }
}

}  // namespace

namespace {

// An int in [0, max of Unsigned], named `name` in errors: TypeError for what
// is not an int (bool included: True as a number is surely a mistake), and
// wal.InvalidArgument for an int out of range. pybind11's own conversion
// would take a bool or a Decimal, and say nothing of which argument was wrong.
template <typename Unsigned>
Unsigned to_unsigned(py::handle value, const std::string& name) {
  if (PyBool_Check(value.ptr()) || !PyIndex_Check(value.ptr())) {
    throw py::type_error(name + " must be an int, not " + type_name(value));
  }
  py::int_ as_int = py::reinterpret_steal<py::int_>(PyNumber_Index(value.ptr()));
  if (!as_int) throw py::error_already_set();
  const unsigned long long number = PyLong_AsUnsignedLongLong(as_int.ptr());
  const bool out_of_range =
      PyErr_Occurred() != nullptr || number > std::numeric_limits<Unsigned>::max();
  PyErr_Clear();
  if (out_of_range) {
    throw_status(wal::Status::invalid_argument(
        name + " " + describe_int(as_int) + " is not between 0 and 2**" +
        std::to_string(std::numeric_limits<Unsigned>::digits) + "-1"));
  }
  return static_cast<Unsigned>(number);
}

// The logs not yet closed, so that close_open_logs() can close them at exit.
// Entries are removed on close and destruction, so the set never owns a log
// nor keeps one alive. Guarded by the GIL. Never freed: it may be used after
// static destructors have run.
std::unordered_set<PyWriteAheadLog*>& open_logs() {
  static auto* logs = new std::unordered_set<PyWriteAheadLog*>();
  return *logs;
}

}  // namespace

void close_open_logs() {
  // One at a time, each held by a reference: close() releases the GIL, and
  // other threads may then close, drop or open logs. close() removes the log.
  while (!open_logs().empty()) {
    py::object log = py::cast(*open_logs().begin(), py::return_value_policy::reference);
    log.cast<PyWriteAheadLog&>().close();
  }
}

uint64_t to_message_id(py::handle message_id) {
  return to_unsigned<uint64_t>(message_id, "message_id");
}

wal::WriteAheadLogOptions log_options(const LogArguments& arguments) {
  wal::WriteAheadLogOptions options;
  options.service_name = arguments.service_name;
  options.base_dir = arguments.base_dir;
  options.checkpoint_threshold =
      to_unsigned<uint32_t>(arguments.checkpoint_threshold, "checkpoint_threshold");
  options.checkpoint_cache_bytes =
      to_unsigned<size_t>(arguments.checkpoint_cache_bytes, "checkpoint_cache_bytes");
  options.max_record_bytes = to_unsigned<size_t>(arguments.max_record_bytes, "max_record_bytes");
  options.layout = unwrap(wal::parse_layout(arguments.layout));
  options.dedup.policy = unwrap(wal::parse_dedup_policy(arguments.dedup));
  options.dedup.window = to_unsigned<uint64_t>(arguments.dedup_window, "dedup_window");
  options.segmented.sync_policy = unwrap(wal::parse_sync_policy(arguments.sync_policy));
  options.segmented.sync_interval_ms =
      to_unsigned<uint32_t>(arguments.sync_interval_ms, "sync_interval_ms");
  options.segmented.recovery_mode = unwrap(wal::parse_recovery_mode(arguments.recovery_mode));
  options.segmented.segment_bytes = to_unsigned<uint64_t>(arguments.segment_bytes, "segment_bytes");
  options.segmented.checkpoint_bytes =
      to_unsigned<uint64_t>(arguments.checkpoint_bytes, "checkpoint_bytes");
  options.segmented.state_cache_bytes =
      to_unsigned<size_t>(arguments.state_cache_bytes, "state_cache_bytes");
  return options;
}

PyWriteAheadLog::PyWriteAheadLog(py::object state_interpreter, py::object storage,
                                 wal::WriteAheadLogOptions options)
    : state_interpreter_(std::move(state_interpreter)),
      storage_(std::move(storage)),
      service_name_(options.service_name),
      base_dir_(options.base_dir) {
  // A clear TypeError instead of pybind11's generic "Unable to cast".
  require_instance<wal::StateInterpreter>(state_interpreter_, "state_interpreter",
                                          "wal.StateInterpreter");
  require_instance<wal::Storage>(storage_, "storage", "wal.Storage");
  auto interpreter = state_interpreter_.cast<std::shared_ptr<wal::StateInterpreter>>();
  auto storage_ptr = storage_.cast<std::shared_ptr<wal::Storage>>();
  take_python_error();  // drop a stale one (GIL held)
  wal::Result<std::unique_ptr<wal::WriteAheadLog>> opened = [&] {
    // Recovery reads every client's files and may call a Python interpreter.
    py::gil_scoped_release release;
    return wal::WriteAheadLog::open(std::move(interpreter), std::move(storage_ptr), options);
  }();
  if (!opened.is_ok()) raise_failure(opened.status());
  take_python_error();
  log_ = std::move(opened).value();
  open_logs().insert(this);
}

PyWriteAheadLog::~PyWriteAheadLog() {
  // Python objects below are released with the GIL held (we are called from
  // the wrapper's deallocation); only the C++ log is closed without it.
  close();
}

template <typename Call>
auto PyWriteAheadLog::with_log(Call&& call) {
  take_python_error();  // one left by a call whose failure the library absorbed
  py::gil_scoped_release release;
  std::shared_lock lock(mutex_);
  if (!log_) throw_status(wal::Status::failed("the log for " + base_dir_ + " is closed"));
  return call(*log_);
}

std::string PyWriteAheadLog::persist_outcome(const std::string& client_id, py::handle data,
                                             py::handle message_id) {
  uint64_t id = to_message_id(message_id);
  wal::Json json = to_json(data);
  wal::Result<wal::PersistOutcome> outcome =
      with_log([&](wal::WriteAheadLog& log) { return log.persist(client_id, json, id); });
  if (!outcome.is_ok()) raise_failure(outcome.status());
  // Success despite a Python error: a checkpoint failed and will be retried;
  // the message itself is durable, so the caller may acknowledge.
  take_python_error();
  return wal::outcome_name(*outcome);
}

py::object PyWriteAheadLog::retrieve(const std::string& client_id) {
  wal::Result<wal::Json> state =
      with_log([&](wal::WriteAheadLog& log) { return log.retrieve(client_id); });
  if (!state.is_ok()) raise_failure(state.status());
  // empty_state() cannot report failure to the library; a state built while
  // an interpreter method raised is not to be trusted.
  if (std::exception_ptr python_error = take_python_error()) std::rethrow_exception(python_error);
  return to_python(*state);
}

void PyWriteAheadLog::clear(const std::string& client_id) {
  wal::Status status = with_log([&](wal::WriteAheadLog& log) { return log.clear(client_id); });
  if (!status.is_ok()) raise_failure(status);
  take_python_error();
}

py::dict PyWriteAheadLog::clients() {
  auto clients = with_log([](wal::WriteAheadLog& log) { return log.clients(); });
  if (!clients.is_ok()) raise_failure(clients.status());
  py::dict result;
  for (const wal::ClientSummary& client : *clients) {
    result[py::str(client.client_id)] =
        client.max_message_id ? py::object(py::int_(*client.max_message_id)) : py::none();
  }
  return result;
}

void PyWriteAheadLog::check_health() {
  wal::Status status = with_log([](wal::WriteAheadLog& log) { return log.health(); });
  if (!status.is_ok()) throw_status(status);
}

py::dict PyWriteAheadLog::recovery_report() {
  wal::RecoveryReport report =
      with_log([](wal::WriteAheadLog& log) { return log.recovery_report(); });
  py::list events;
  for (const auto& event : report.events) {
    py::dict item;
    // A stray file's name need not be UTF-8 (nor the reason, which quotes it).
    item["path"] = path_to_python(event.path);
    item["action"] = text_to_python(event.action);
    item["reason"] = text_to_python(event.reason);
    events.append(item);
  }
  py::list damaged;
  for (const auto& status : report.damaged_clients) {
    damaged.append(text_to_python(status.to_string()));
  }
  py::dict result;
  result["clients"] = report.clients;
  result["logs"] = report.logs;
  result["checkpoints"] = report.checkpoints;
  result["events"] = events;
  result["damaged_clients"] = damaged;
  return result;
}

void PyWriteAheadLog::close() {
  open_logs().erase(this);  // with the GIL, which guards the set
  // Without the GIL: calls in flight may need it to finish.
  py::gil_scoped_release release;
  std::unique_lock lock(mutex_);
  log_.reset();  // releases base_dir's lock file
}

bool PyWriteAheadLog::closed() {
  py::gil_scoped_release release;
  std::shared_lock lock(mutex_);
  return log_ == nullptr;
}

}  // namespace walpy
