#include "seed/state_loader.h"

#include "seed/file_names.h"
#include "seed/record_codec.h"

namespace wal::seed {

StateFiles state_files(const ClientScan& scan) {
  StateFiles files;
  if (scan.checkpoint) files.checkpoint = scan.file(*scan.checkpoint).name;
  for (size_t index : scan.live_logs) {
    files.logs.push_back(LogRef{scan.file(index).name, scan.file(index).message_id});
  }
  return files;
}

namespace {

// A whole record's body from a file's contents; anything else is kCorruption.
Result<Json> decode_record(std::string_view contents, const std::string& path) {
  WAL_ASSIGN_OR_RETURN(DecodedFile decoded, decode_file(contents, path));
  if (decoded.state != DecodedFile::State::kCompleted) {
    return Status::corruption(path, 0, "was a whole record at start-up and is not any more");
  }
  return std::move(decoded.body);
}

}  // namespace

Result<Json> read_record(Storage& storage, const std::string& path) {
  WAL_ASSIGN_OR_RETURN(std::string contents, storage.read_file(path));
  return decode_record(contents, path);
}

Result<LogEntry> decode_log_entry(const StateInterpreter& interpreter, std::string_view contents,
                                  const std::string& path, uint64_t message_id) {
  WAL_ASSIGN_OR_RETURN(Json record, decode_record(contents, path));
  auto data = interpreter.parse_data(record);
  if (!data.is_ok()) return Status::corruption(path, 0, data.status().message());
  return LogEntry{message_id, std::move(data).value()};
}

Result<Json> load_checkpoint(Storage& storage, const StateInterpreter& interpreter,
                             const std::string& dir, const std::optional<std::string>& checkpoint) {
  if (!checkpoint) return interpreter.empty_state();
  const std::string path = join_path(dir, *checkpoint);
  WAL_ASSIGN_OR_RETURN(Json body, read_record(storage, path));
  body.erase("_metadata");
  auto parsed = interpreter.parse_checkpoint_consuming(std::move(body));
  if (!parsed.is_ok()) return Status::corruption(path, 0, parsed.status().message());
  return std::move(parsed).value();
}

Result<std::vector<LogEntry>> read_log_entries(Storage& storage,
                                               const StateInterpreter& interpreter,
                                               const std::string& dir,
                                               const std::vector<LogRef>& logs) {
  std::vector<LogEntry> entries;
  entries.reserve(logs.size() + 1);  // room for the message a checkpoint may fold in
  for (const LogRef& log : logs) {
    const std::string path = join_path(dir, log.name);
    WAL_ASSIGN_OR_RETURN(std::string contents, storage.read_file(path));
    WAL_ASSIGN_OR_RETURN(LogEntry entry,
                         decode_log_entry(interpreter, contents, path, log.message_id));
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<Json> load_state(Storage& storage, const StateInterpreter& interpreter,
                        const std::string& dir, const StateFiles& files) {
  WAL_ASSIGN_OR_RETURN(Json state, load_checkpoint(storage, interpreter, dir, files.checkpoint));
  WAL_ASSIGN_OR_RETURN(std::vector<LogEntry> entries,
                       read_log_entries(storage, interpreter, dir, files.logs));
  return interpreter.merge_data(std::move(state), entries);
}

}  // namespace wal::seed
