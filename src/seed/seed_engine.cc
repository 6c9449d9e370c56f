#include "seed/seed_engine.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "dedup/saved_json.h"
#include "interpreter/checked_format.h"
#include "seed/file_names.h"
#include "seed/record_codec.h"
#include "wal/client_id.h"

namespace wal::seed {
namespace {

// The client's dedup state as it was after its last log was written: the
// checkpoint's saved state, then the live logs recorded again in the order
// they arrived (their names' timestamps), skipping those it already holds.
DedupState recovered_dedup(const DedupOptions& options, const ClientScan& scan) {
  DedupState::Saved saved;
  if (scan.checkpoint) {
    const ScannedFile& checkpoint = scan.file(*scan.checkpoint);
    // A checkpoint without the field is of a kHighWaterMark directory (the
    // scan calls it damage under kExact): its mark is all there is.
    saved = checkpoint.dedup.value_or(DedupState::Saved{checkpoint.max_message_id, 0, {}});
  }
  DedupState dedup(options, saved);
  std::vector<const ScannedFile*> arrivals;
  for (size_t index : scan.live_logs) arrivals.push_back(&scan.file(index));
  std::sort(arrivals.begin(), arrivals.end(), [](const ScannedFile* a, const ScannedFile* b) {
    return a->timestamp != b->timestamp ? a->timestamp < b->timestamp
                                        : a->message_id < b->message_id;
  });
  for (const ScannedFile* log : arrivals) {
    if (dedup.classify(log->message_id) == DedupState::Verdict::kNew) dedup.record(log->message_id);
  }
  return dedup;
}

// The highest id recorded for the client; empty when none was (under kExact
// a fresh state's mark sits below first_message_id without any id recorded).
std::optional<uint64_t> highest_recorded(const DedupState& dedup) {
  const std::optional<uint64_t> highest = dedup.max_recorded();
  if (highest && *highest >= dedup.recorded_from()) return highest;
  return std::nullopt;
}

// The first of `logs` (ascending ids) whose id is above `id`.
std::vector<LogRef>::const_iterator first_above(const std::vector<LogRef>& logs, uint64_t id) {
  return std::upper_bound(logs.begin(), logs.end(), id,
                          [](uint64_t value, const LogRef& log) { return value < log.message_id; });
}

// The logs a checkpoint may fold: those at or below the low-water mark (all
// of them under kHighWaterMark), a prefix of `logs`.
size_t foldable_logs(const std::vector<LogRef>& logs, const DedupState& dedup) {
  const std::optional<uint64_t> mark = dedup.low_water_mark();
  if (!mark) return 0;
  return static_cast<size_t>(first_above(logs, *mark) - logs.begin());
}

}  // namespace

SeedEngine::SeedEngine(std::shared_ptr<StateInterpreter> interpreter,
                       std::shared_ptr<Storage> storage, WriteAheadLogOptions options)
    : interpreter_(std::move(interpreter)),
      storage_(std::move(storage)),
      options_(std::move(options)),
      clients_([this] {
        return std::make_shared<Client>(options_.dedup, options_.checkpoint_threshold);
      }),
      checkpoint_states_(options_.checkpoint_cache_bytes) {}

Result<std::unique_ptr<WriteAheadLog::Engine>> SeedEngine::open(
    std::shared_ptr<StateInterpreter> interpreter, std::shared_ptr<Storage> storage,
    WriteAheadLogOptions options, std::unique_ptr<FileLock> lock) {
  std::unique_ptr<SeedEngine> engine(
      new SeedEngine(std::move(interpreter), std::move(storage), std::move(options)));
  engine->lock_ = std::move(lock);
  engine->report_.layout = Layout::kSeed;
  WAL_RETURN_IF_ERROR(engine->recover());
  return std::unique_ptr<WriteAheadLog::Engine>(std::move(engine));
}

// ---- start-up -------------------------------------------------------------

Status SeedEngine::remove_tree(const std::string& path) {
  WAL_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, storage_->list_dir(path));
  for (const DirEntry& entry : entries) {
    const std::string child = join_path(path, entry.name);
    WAL_RETURN_IF_ERROR(entry.type == DirEntry::Type::kDirectory ? remove_tree(child)
                                                                 : storage_->remove_file(child));
  }
  return storage_->remove_dir(path);
}

Status SeedEngine::empty_trash() {
  // A clear renames the client folder into .trash before deleting it, so
  // anything here belongs to a clear that was already durable.
  const std::string trash = join_path(options_.base_dir, kTrashDirName);
  WAL_ASSIGN_OR_RETURN(bool created, storage_->create_dir(trash));
  if (created) return storage_->sync_dir(options_.base_dir);
  WAL_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, storage_->list_dir(trash));
  for (const DirEntry& entry : entries) {
    const std::string path = join_path(trash, entry.name);
    WAL_RETURN_IF_ERROR(entry.type == DirEntry::Type::kDirectory ? remove_tree(path)
                                                                 : storage_->remove_file(path));
    note(path, "removed", "left by an interrupted clear");
  }
  return Status::ok();
}

Status SeedEngine::recover() {
  // WriteAheadLog::open created the base directory and holds its lock.
  WAL_RETURN_IF_ERROR(empty_trash());
  WAL_ASSIGN_OR_RETURN(BaseDirListing listing, list_base_dir(*storage_, options_.base_dir));
  // As the temporary files in client folders: no directory sync, since a
  // removal a crash undoes leaves the same debris for the next start-up.
  for (const std::string& name : listing.debris) {
    const std::string path = join_path(options_.base_dir, name);
    if (Status removed = storage_->remove_file(path); removed.is_ok()) {
      note(path, "removed", disposition_name(Disposition::kTemp));
    } else {
      warn(removed.with_context("could not remove " +
                                std::string(disposition_name(Disposition::kTemp))));
    }
  }
  for (const BaseDirListing::Ignored& entry : listing.ignored) {
    note(join_path(options_.base_dir, entry.name), "ignored", entry.reason);
  }
  for (const std::string& client_id : listing.clients) {
    WAL_RETURN_IF_ERROR(recover_client(client_id));
  }
  return Status::ok();
}

Status SeedEngine::recover_client(const std::string& client_id) {
  const std::string dir = client_dir(client_id);
  WAL_ASSIGN_OR_RETURN(ClientScan scan,
                       scan_client(*storage_, dir, client_id, options_.dedup.policy));
  auto client = std::make_shared<Client>(options_.dedup, options_.checkpoint_threshold);
  client->folder_exists = true;
  client->last_timestamp = scan.newest_timestamp;
  client->dedup = recovered_dedup(options_.dedup, scan);
  ++report_.clients;

  if (!scan.damage.is_ok()) {
    client->damage = scan.damage.with_context(
        "client \"" + client_id +
        "\" has a damaged file and refuses calls; run `walctl verify` for details");
    report_.damaged_clients.push_back(client->damage);
    warn(client->damage);
    for (const ScannedFile& file : scan.files) {
      if (file.disposition == Disposition::kDamaged) {
        note(join_path(dir, file.name), "ignored", file.problem.to_string());
      }
    }
    clients_.add(client_id, std::move(client));
    return Status::ok();
  }

  client->files = state_files(scan);
  if (scan.checkpoint) {
    const ScannedFile& file = scan.file(*scan.checkpoint);
    ++report_.checkpoints;
    const bool replaces_files =
        std::any_of(scan.files.begin(), scan.files.end(), [](const ScannedFile& f) {
          return f.disposition == Disposition::kCovered ||
                 f.disposition == Disposition::kSuperseded;
        });
    if (replaces_files) {
      // The original never synced its checkpoints: make this one durable
      // before removing the files it replaces.
      WAL_RETURN_IF_ERROR(storage_->sync_file(join_path(dir, file.name)));
      WAL_RETURN_IF_ERROR(storage_->sync_dir(dir));
    }
  }
  report_.logs += client->files.logs.size();

  for (const ScannedFile& file : scan.files) {
    const std::string path = join_path(dir, file.name);
    if (is_removable(file.disposition)) {
      Status removed = storage_->remove_file(path);
      if (removed.is_ok()) {
        note(path, "removed", disposition_name(file.disposition));
      } else {
        warn(removed.with_context("could not remove " +
                                  std::string(disposition_name(file.disposition))));
      }
    } else if (file.disposition == Disposition::kDuplicate ||
               file.disposition == Disposition::kForeign) {
      note(path, "ignored", disposition_name(file.disposition));
    }
  }
  clients_.add(client_id, std::move(client));
  return Status::ok();
}

// ---- clients ----------------------------------------------------------------

std::string SeedEngine::client_dir(std::string_view client_id) const {
  return join_path(options_.base_dir, client_id);
}

Result<std::vector<ClientSummary>> SeedEngine::clients() {
  const auto all = clients_.all();
  std::vector<ClientSummary> summaries;
  for (const auto& [client_id, client] : all) {
    std::lock_guard lock(client->mutex);
    const std::optional<uint64_t> highest = highest_recorded(client->dedup);
    if (highest || !client->damage.is_ok()) {
      summaries.push_back(ClientSummary{client_id, highest});
    }
  }
  return summaries;  // the map keeps them sorted by id
}

// ---- writing ----------------------------------------------------------------

Status SeedEngine::health() const { return check_writable(); }

void SeedEngine::warn(const Status& status) const {
  if (options_.on_warning) options_.on_warning(status);
}

void SeedEngine::note(const std::string& path, const std::string& action,
                      const std::string& reason) {
  report_.events.push_back(RecoveryReport::Event{path, action, reason});
}

Status SeedEngine::ensure_client_folder(Client& client, const std::string& dir) {
  if (client.folder_exists) return Status::ok();
  auto created = storage_->create_dir(dir);
  // A new folder needs a block on most file systems: the spares give theirs.
  if (created.status().code() == Code::kNoSpace && release_spares(dir, client) > 0) {
    created = storage_->create_dir(dir);
  }
  WAL_RETURN_IF_ERROR(created.status());
  if (*created) {
    if (Status synced = storage_->sync_dir(options_.base_dir); !synced.is_ok()) return fail(synced);
  }
  client.folder_exists = true;
  return Status::ok();
}

namespace {

// A spare written over from its start, so that its blocks are reused; cut()
// then drops its old bytes past what was written.
class OverwritingFile final : public WritableFile {
 public:
  explicit OverwritingFile(std::unique_ptr<PositionalFile> file) : file_(std::move(file)) {}
  Status append(std::string_view data) override {
    WAL_RETURN_IF_ERROR(file_->write_at(size_, data));
    size_ += data.size();
    return Status::ok();
  }
  Status cut() { return file_->truncate(size_); }
  Status sync() override { return file_->sync(); }
  Status close() override { return file_->close(); }

 private:
  std::unique_ptr<PositionalFile> file_;
  uint64_t size_ = 0;
};

}  // namespace

Status SeedEngine::write_file_durably(const std::string& dir, const std::string& name,
                                      const FileWriter& write_contents,
                                      std::optional<std::string> spare) {
  // Written whole under a temporary name, synced, then renamed: a crash never
  // leaves a partial file under a name the reader trusts.
  std::string temp_path;
  std::unique_ptr<WritableFile> file;
  OverwritingFile* overwriting = nullptr;
  if (spare) {
    temp_path = join_path(dir, *spare);
    auto opened = storage_->open_positional_file(temp_path, /*create=*/false);
    if (opened.is_ok()) {
      auto spare_file = std::make_unique<OverwritingFile>(std::move(opened).value());
      overwriting = spare_file.get();
      file = std::move(spare_file);
    } else {
      storage_->remove_file(temp_path).ignore_error();  // not left until the next start
    }
  }
  if (!file) {  // no spare, or one that would not open: a new file
    temp_path = join_path(dir, temp_file_name(name));
    WAL_ASSIGN_OR_RETURN(file, storage_->new_writable_file(temp_path));
  }
  const auto discard_temp = [&] { storage_->remove_file(temp_path).ignore_error(); };
  Status appended = write_contents(*file);
  if (appended.is_ok() && overwriting != nullptr) appended = overwriting->cut();
  if (!appended.is_ok()) {
    file->close().ignore_error();
    discard_temp();
    return appended;  // nothing was promised: the next write may succeed
  }
  if (Status synced = file->sync(); !synced.is_ok()) {
    file->close().ignore_error();
    discard_temp();
    return fail(synced);
  }
  if (Status closed = file->close(); !closed.is_ok()) {
    discard_temp();
    return fail(closed);
  }
  if (Status renamed = storage_->rename_file(temp_path, join_path(dir, name)); !renamed.is_ok()) {
    discard_temp();
    return renamed;
  }
  if (Status synced = storage_->sync_dir(dir); !synced.is_ok()) return fail(synced);
  return Status::ok();
}

Status SeedEngine::write_client_file(const std::string& dir, Client& client,
                                     const std::string& name, const FileWriter& write_contents) {
  Status written =
      write_file_durably(dir, name, write_contents, client.spares.take(parse_file_name(name).kind));
  // Spares hold space only while there is space to spare: on a full disk
  // they give it back, and the file is tried once more in it. A caller sees
  // kNoSpace only when the disk would be full without them.
  if (written.code() == Code::kNoSpace && check_writable().is_ok() &&
      release_spares(dir, client) > 0) {
    written = write_file_durably(dir, name, write_contents, std::nullopt);
  }
  return written;
}

size_t SeedEngine::remove_spares(const std::string& dir, Client& client) {
  size_t removed = 0;
  for (const std::string& spare : client.spares.release()) {
    removed += storage_->remove_file(join_path(dir, spare)).is_ok();
  }
  return removed;
}

size_t SeedEngine::release_spares(const std::string& dir, Client& client) {
  size_t removed = remove_spares(dir, client);
  for (const auto& [client_id, other] : clients_.all()) {
    if (other.get() == &client) continue;
    // A busy client keeps its spares: waiting for it while holding `client`
    // could deadlock with its own release.
    std::unique_lock lock(other->mutex, std::try_to_lock);
    if (lock.owns_lock()) removed += remove_spares(client_dir(client_id), *other);
  }
  return removed;
}

Result<SeedEngine::Prepared> SeedEngine::prepare(std::string_view client_id,
                                                 const Json& data) const {
  WAL_RETURN_IF_ERROR(validate_client_id(client_id));
  WAL_ASSIGN_OR_RETURN(Json record, checked_format_data(*interpreter_, data));
  // "_metadata" goes last: the checksum field closes the file.
  Json metadata = std::move(record["_metadata"]);
  record.erase("_metadata");
  return Prepared{std::move(record), std::move(metadata)};
}

Result<std::string> SeedEngine::encode_log(Prepared prepared, uint64_t timestamp,
                                           uint64_t message_id) const {
  prepared.metadata["timestamp"] = std::to_string(timestamp);
  prepared.metadata["message_id"] = message_id;
  prepared.metadata.erase("crc32c");
  prepared.record["_metadata"] = std::move(prepared.metadata);
  std::string contents = encode_completed_file(prepared.record);
  if (contents.size() > options_.max_record_bytes) {
    return Status::invalid_argument("message of " + std::to_string(contents.size()) +
                                    " bytes exceeds max_record_bytes (" +
                                    std::to_string(options_.max_record_bytes) + ")");
  }
  return contents;
}

Result<PersistOutcome> SeedEngine::persist(std::string_view client_id, const Json& data,
                                           uint64_t message_id) {
  WAL_ASSIGN_OR_RETURN(Prepared prepared, prepare(client_id, data));
  return persist_prepared(client_id, std::move(prepared), message_id);
}

Result<std::vector<PersistOutcome>> SeedEngine::persist_batch(
    const std::vector<PersistRequest>& batch) {
  std::vector<Prepared> prepared;
  prepared.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    auto one = prepare(batch[i].client_id, batch[i].data);
    // The size with today's timestamp: what the write will check, checked first.
    Status size = one.is_ok()
                      ? encode_log(*one, storage_->now_millis(), batch[i].message_id).status()
                      : one.status();
    if (!size.is_ok()) return size.with_context("message " + std::to_string(i));
    prepared.push_back(std::move(one).value());
  }
  std::vector<PersistOutcome> outcomes;
  outcomes.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    auto outcome =
        persist_prepared(batch[i].client_id, std::move(prepared[i]), batch[i].message_id);
    if (!outcome.is_ok()) return outcome.status().with_context("message " + std::to_string(i));
    outcomes.push_back(*outcome);
  }
  return outcomes;
}

Result<PersistOutcome> SeedEngine::persist_prepared(std::string_view client_id, Prepared prepared,
                                                    uint64_t message_id) {
  std::shared_ptr<Client> client = clients_.find_or_add(client_id);
  std::lock_guard lock(client->mutex);
  WAL_RETURN_IF_ERROR(check_writable());
  WAL_RETURN_IF_ERROR(client->damage);
  const DedupState::Verdict verdict = client->dedup.classify(message_id);
  if (verdict == DedupState::Verdict::kDuplicate) return PersistOutcome::kDuplicate;
  if (verdict == DedupState::Verdict::kTooOld) return PersistOutcome::kTooOld;
  // Under kExact recovery replays the logs in arrival order: names must say it.
  const uint64_t after = options_.dedup.policy == DedupPolicy::kExact ? 1 : 0;
  const uint64_t timestamp = std::max(storage_->now_millis(), client->last_timestamp + after);
  WAL_ASSIGN_OR_RETURN(const std::string contents,
                       encode_log(std::move(prepared), timestamp, message_id));
  const std::string dir = client_dir(client_id);
  WAL_RETURN_IF_ERROR(ensure_client_folder(*client, dir));
  const std::string name = log_file_name(timestamp, message_id);
  std::optional<Arriving> arriving =
      arrives_into_checkpoint(*client, join_path(dir, name), contents, message_id);
  // Nothing of it was promised when it fails without a sticky failure: the
  // message goes to a log file as usual, and the checkpoint waits for the
  // next persist.
  Status checkpoint_failed;
  const bool checkpoint_tried = arriving.has_value();
  if (arriving) {
    checkpoint_failed = checkpoint(std::string(client_id), dir, *client, std::move(*arriving));
    if (checkpoint_failed.is_ok()) return PersistOutcome::kWritten;
    WAL_RETURN_IF_ERROR(check_writable());
  }
  WAL_RETURN_IF_ERROR(write_client_file(
      dir, *client, name, [&contents](WritableFile& file) { return file.append(contents); }));
  client->last_timestamp = timestamp;
  // In id order, so that the state merges a late id in its place.
  std::vector<LogRef>& logs = client->files.logs;
  logs.insert(first_above(logs, message_id), LogRef{name, message_id});
  client->dedup.record(message_id);

  // Only settled logs are folded: a client with a gap open does not
  // checkpoint again at every persist. A message that reaches the threshold
  // in order goes into the checkpoint above (so does the retry of one that
  // failed); this one follows a late message, a gap that settled, or a
  // record that did not read back.
  if (!checkpoint_tried && foldable_logs(logs, client->dedup) >= options_.checkpoint_threshold) {
    checkpoint_failed = checkpoint(std::string(client_id), dir, *client);
  }
  if (!checkpoint_failed.is_ok()) {
    // The message is durable; the checkpoint is retried at the next persist.
    warn(checkpoint_failed.with_context("checkpoint of client \"" + std::string(client_id) +
                                        "\" failed and will be retried"));
  }
  return PersistOutcome::kWritten;
}

std::optional<SeedEngine::Arriving> SeedEngine::arrives_into_checkpoint(const Client& client,
                                                                        const std::string& log_path,
                                                                        const std::string& contents,
                                                                        uint64_t message_id) const {
  const std::vector<LogRef>& logs = client.files.logs;
  if (logs.size() + 1 < options_.checkpoint_threshold) return std::nullopt;
  // Last in id order, so that it merges after every folded log.
  if (!logs.empty() && logs.back().message_id > message_id) return std::nullopt;
  // With a gap open the mark stays below the message (but for the rare id
  // that settles the gaps), and the state to copy can be large.
  if (client.dedup.gap_count() > 0) return std::nullopt;
  DedupState dedup = client.dedup;
  dedup.record(message_id);
  // At or below the mark, the message and every log below it fold.
  const std::optional<uint64_t> mark = dedup.low_water_mark();
  if (!mark || *mark < message_id) return std::nullopt;
  // The entry exactly as the log file would read back. Should it not read
  // back, the log file is written and its checkpoint reports why.
  auto entry = decode_log_entry(*interpreter_, contents, log_path, message_id);
  if (!entry.is_ok()) return std::nullopt;
  return Arriving{std::move(entry).value(), std::move(dedup)};
}

Result<Json> SeedEngine::state_of(const std::string& client_id, const std::string& dir,
                                  const StateFiles& files, CacheUse cache_use,
                                  std::optional<LogEntry> arriving) {
  std::optional<Json> state;
  if (files.checkpoint) {
    const uint64_t timestamp = parse_file_name(*files.checkpoint).timestamp;
    auto cached = cache_use == CacheUse::kTake ? checkpoint_states_.take(client_id, timestamp)
                                               : checkpoint_states_.get(client_id, timestamp);
    if (cached) {
      state = std::move(cached->state);
    }
  }
  if (!state) {
    WAL_ASSIGN_OR_RETURN(Json loaded,
                         load_checkpoint(*storage_, *interpreter_, dir, files.checkpoint));
    state = std::move(loaded);
  }
  WAL_ASSIGN_OR_RETURN(std::vector<LogEntry> entries,
                       read_log_entries(*storage_, *interpreter_, dir, files.logs));
  if (arriving) entries.push_back(std::move(*arriving));
  return interpreter_->merge_data(std::move(*state), entries);
}

Status SeedEngine::checkpoint(const std::string& client_id, const std::string& dir, Client& client,
                              std::optional<Arriving> arriving) {
  // Until the end: client.dedup takes the arriving message's state last.
  const DedupState& dedup = arriving ? arriving->dedup : client.dedup;
  // The logs at or below the low-water mark are settled: no other id at or
  // below it can be written, so the checkpoint may hold them. The ones above
  // stay live logs, merged after it in id order.
  const std::vector<LogRef>& logs = client.files.logs;
  const auto folded_end = logs.begin() + static_cast<std::ptrdiff_t>(foldable_logs(logs, dedup));
  const StateFiles folded{client.files.checkpoint, {logs.begin(), folded_end}};
  WAL_ASSIGN_OR_RETURN(
      Json state, state_of(client_id, dir, folded, CacheUse::kTake,
                           arriving ? std::optional(std::move(arriving->entry)) : std::nullopt));
  WAL_ASSIGN_OR_RETURN(Json body, checked_format_checkpoint(*interpreter_, std::move(state)));
  // Strictly newer than every checkpoint name present, whatever the clock says.
  const uint64_t timestamp = std::max(storage_->now_millis(), client.last_timestamp + 1);
  Json metadata = Json::object();
  metadata["timestamp"] = std::to_string(timestamp);
  // The existing scan removes the logs at or below it as covered.
  const std::optional<uint64_t> mark = dedup.low_water_mark();
  metadata["max_message_id"] = mark ? Json(*mark) : Json(nullptr);
  if (options_.dedup.policy == DedupPolicy::kExact) {
    // The whole state, runs included: recovery starts from it (docs/format.md).
    metadata["dedup"] = dedup_to_json(dedup.save());
  }
  body["_metadata"] = std::move(metadata);
  const std::string name = checkpoint_file_name(timestamp);
  // Written as it is serialised: a large state is not held twice more.
  size_t file_bytes = 0;
  WAL_RETURN_IF_ERROR(write_client_file(dir, client, name, [&](WritableFile& file) {
    Status written;
    file_bytes = write_completed_file(body, kCheckpointPieceBytes, [&](std::string_view piece) {
      if (written.is_ok()) written = file.append(piece);
    });
    return written;
  }));
  client.last_timestamp = timestamp;
  if (options_.checkpoint_cache_bytes > 0) {
    // What a reader of the file will get back, as the interpreter parses it.
    body.erase("_metadata");
    auto kept = interpreter_->parse_checkpoint_consuming(std::move(body));
    if (kept.is_ok()) {
      checkpoint_states_.put(client_id, segmented::StateCache::Entry{timestamp, std::move(*kept),
                                                                     std::nullopt, file_bytes});
    }
  }

  // The new checkpoint is durable, file and directory entry: only now may the
  // files it replaces go. Should a removal be lost in a crash, the file is
  // covered by the checkpoint and removed at the next start.
  std::vector<std::string> replaced;
  for (const LogRef& log : folded.logs) replaced.push_back(log.name);
  if (client.files.checkpoint) replaced.push_back(*client.files.checkpoint);
  client.files = StateFiles{name, {folded_end, logs.end()}};
  for (const std::string& old_name : replaced) retire(dir, client, old_name);
  if (arriving) client.dedup = std::move(arriving->dedup);  // `dedup` is not used after this
  return Status::ok();
}

void SeedEngine::retire(const std::string& dir, Client& client, const std::string& name) {
  // Renamed, it is a temporary file to the reader (and to start-up, which
  // removes it); a rename costs less than an unlink, and writing over its
  // blocks less than allocating new ones.
  const FileKind kind = parse_file_name(name).kind;
  const std::string path = join_path(dir, name);
  if (client.spares.has_room(kind)) {
    std::string spare = temp_file_name(name);
    if (storage_->rename_file(path, join_path(dir, spare)).is_ok()) {
      client.spares.keep(kind, std::move(spare));
      return;
    }
  }
  if (Status removed = storage_->remove_file(path); !removed.is_ok()) {
    warn(removed.with_context("could not remove a file the checkpoint replaced"));
  }
}

// ---- reading ----------------------------------------------------------------

Result<Json> SeedEngine::retrieve(std::string_view client_id) {
  WAL_RETURN_IF_ERROR(validate_client_id(client_id));
  std::shared_ptr<Client> client = clients_.find(client_id);
  if (!client) return interpreter_->empty_state();  // creates nothing on disk
  std::lock_guard lock(client->mutex);
  WAL_RETURN_IF_ERROR(client->damage);
  return state_of(std::string(client_id), client_dir(client_id), client->files, CacheUse::kCopy);
}

// ---- clear --------------------------------------------------------------------

Status SeedEngine::clear(std::string_view client_id) {
  WAL_RETURN_IF_ERROR(validate_client_id(client_id));
  std::shared_ptr<Client> client = clients_.find_or_add(client_id);
  std::lock_guard lock(client->mutex);
  WAL_RETURN_IF_ERROR(check_writable());
  if (client->folder_exists) {
    // One rename takes the whole folder away, so a crash leaves all of the
    // client or none of it; the files are deleted afterwards at leisure.
    const std::string trash = join_path(options_.base_dir, kTrashDirName);
    const std::string doomed =
        join_path(trash, std::to_string(++cleared_folders_) + "-" + std::string(client_id));
    WAL_RETURN_IF_ERROR(storage_->rename_file(client_dir(client_id), doomed));
    if (Status synced = storage_->sync_dir(options_.base_dir); !synced.is_ok()) return fail(synced);
    if (Status synced = storage_->sync_dir(trash); !synced.is_ok()) return fail(synced);
    if (Status removed = remove_tree(doomed); !removed.is_ok()) {
      warn(removed.with_context("cleared folder left in .trash until the next start"));
    }
  }
  client->dedup = DedupState(options_.dedup);
  client->files = StateFiles{};
  client->spares = SpareFiles(options_.checkpoint_threshold);  // gone with the folder
  checkpoint_states_.erase(std::string(client_id));
  client->folder_exists = false;
  client->damage = Status::ok();
  return Status::ok();
}

}  // namespace wal::seed
