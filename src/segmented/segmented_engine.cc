#include "segmented/segmented_engine.h"

#include <algorithm>
#include <chrono>

#include "interpreter/checked_format.h"
#include "segmented/file_names.h"
#include "segmented/payloads.h"
#include "segmented/record_reader.h"
#include "util/paths.h"
#include "wal/client_id.h"

namespace wal::segmented {

SegmentedEngine::SegmentedEngine(std::shared_ptr<StateInterpreter> interpreter,
                                 std::shared_ptr<Storage> storage, WriteAheadLogOptions options)
    : interpreter_(std::move(interpreter)),
      storage_(std::move(storage)),
      options_(std::move(options)),
      cache_(options_.segmented.state_cache_bytes) {}

Result<std::unique_ptr<WriteAheadLog::Engine>> SegmentedEngine::open(
    std::shared_ptr<StateInterpreter> interpreter, std::shared_ptr<Storage> storage,
    WriteAheadLogOptions options, std::unique_ptr<FileLock> lock) {
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<SegmentedEngine> engine,
                       open_segmented(std::move(interpreter), std::move(storage),
                                      std::move(options), std::move(lock)));
  return std::unique_ptr<WriteAheadLog::Engine>(std::move(engine));
}

Result<std::unique_ptr<SegmentedEngine>> SegmentedEngine::open_segmented(
    std::shared_ptr<StateInterpreter> interpreter, std::shared_ptr<Storage> storage,
    WriteAheadLogOptions options, std::unique_ptr<FileLock> lock) {
  if (options.segmented.segment_bytes < 4096) {
    return Status::invalid_argument("segmented.segment_bytes must be at least 4096");
  }
  if (options.segmented.sync_policy == SyncPolicy::kInterval &&
      options.segmented.sync_interval_ms == 0) {
    return Status::invalid_argument("segmented.sync_interval_ms must be at least 1");
  }
  std::unique_ptr<SegmentedEngine> engine(
      new SegmentedEngine(std::move(interpreter), std::move(storage), std::move(options)));
  engine->lock_ = std::move(lock);
  engine->report_.layout = Layout::kSegmented;
  WAL_RETURN_IF_ERROR(engine->ensure_layout_file());
  WAL_ASSIGN_OR_RETURN(Recovered recovered,
                       recover(*engine->storage_, engine->options_.base_dir,
                               engine->options_.segmented.recovery_mode, &engine->report_));
  WAL_RETURN_IF_ERROR(engine->start(std::move(recovered)));
  return engine;
}

SegmentedEngine::~SegmentedEngine() {
  {
    std::lock_guard lock(background_mutex_);
    stopping_ = true;
  }
  abandon_checkpoint_ = true;
  background_wake_.notify_all();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
  if (sync_thread_.joinable()) sync_thread_.join();
  if (writer_ && options_.segmented.sync_policy != SyncPolicy::kAlways &&
      failure_.check().is_ok()) {
    // A clean close leaves nothing unsynced, whatever the policy.
    if (Status synced = writer_->sync(); !synced.is_ok())
      warn(synced.with_context("sync at close"));
  }
  writer_.reset();
  allocator_.reset();
}

// ---- start-up -------------------------------------------------------------

Status SegmentedEngine::ensure_layout_file() {
  const std::string path = join_path(options_.base_dir, kLayoutFileName);
  auto existing = storage_->read_file(path);
  if (existing.is_ok()) {
    if (*existing == kLayoutFileContents) return Status::ok();
    return Status::corruption(path, 0,
                              "names a layout this build does not read: \"" + *existing + "\"");
  }
  if (existing.status().code() != Code::kNotFound) return existing.status();
  // Written first and durably: a directory with segments always says what it is.
  const std::string temp = temp_file_name(path);
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, storage_->new_writable_file(temp));
  WAL_RETURN_IF_ERROR(file->append(kLayoutFileContents));
  WAL_RETURN_IF_ERROR(file->sync());
  WAL_RETURN_IF_ERROR(file->close());
  WAL_RETURN_IF_ERROR(storage_->rename_file(temp, path));
  return storage_->sync_dir(options_.base_dir);
}

Status SegmentedEngine::start(Recovered recovered) {
  const SegmentedOptions& segmented = options_.segmented;
  allocator_ = std::make_unique<SegmentAllocator>(
      *storage_,
      SegmentAllocator::Config{options_.base_dir, segmented.segment_bytes,
                               segmented.recycled_segments, segmented.background_work,
                               [this](const Status& status) { warn(status); }},
      recovered.next_segment_number, std::move(recovered.free_numbers), std::move(recovered.ready));
  for (auto& segment : recovered.segments) segments_.add(std::move(segment));
  for (const auto& [path, number] : recovered.covered) {
    WAL_RETURN_IF_ERROR(allocator_->retire(path, number));
  }
  if (!recovered.covered.empty()) WAL_RETURN_IF_ERROR(storage_->sync_dir(options_.base_dir));

  std::shared_ptr<Segment> active = std::move(recovered.active);
  if (!active) {
    WAL_ASSIGN_OR_RETURN(active, allocator_->take());
  }
  writer_ = std::make_unique<LogWriter>(*allocator_, segments_, failure_, segmented.sync_policy,
                                        segmented.segment_bytes, std::move(active),
                                        recovered.active_offset);

  if (recovered.snapshot) {
    snapshot_ = std::make_shared<SnapshotFile>();
    snapshot_->number = recovered.snapshot->number;
    snapshot_->path = recovered.snapshot->path;
    WAL_ASSIGN_OR_RETURN(snapshot_->file, storage_->open_positional_file(snapshot_->path, false));
    last_snapshot_bytes_ = recovered.snapshot->bytes;
  }
  next_snapshot_number_ = recovered.next_snapshot_number;
  recovered_log_bytes_ = recovered.log_bytes;
  for (auto& [client_id, recovered_client] : recovered.clients) {
    auto client = std::make_shared<Client>();
    client->max_message_id = recovered_client.max_message_id;
    if (recovered_client.snapshot) {
      client->snapshot = SnapshotRef{snapshot_, recovered_client.snapshot->offset,
                                     recovered_client.snapshot->size};
    }
    client->records = std::move(recovered_client.records);
    clients_.add(client_id, std::move(client));
  }

  if (segmented.background_work) checkpoint_thread_ = std::thread([this] { run_checkpoints(); });
  if (segmented.sync_policy == SyncPolicy::kInterval) {
    sync_thread_ = std::thread([this] { run_interval_syncs(); });
  }
  return Status::ok();
}

// ---- clients ----------------------------------------------------------------

Result<std::vector<ClientSummary>> SegmentedEngine::clients() {
  const auto all = clients_.all();
  std::vector<ClientSummary> summaries;
  for (const auto& [client_id, client] : all) {
    std::lock_guard lock(client->mutex);
    if (client->max_message_id) summaries.push_back({client_id, client->max_message_id});
  }
  return summaries;
}

void SegmentedEngine::warn(const Status& status) const {
  if (options_.on_warning) options_.on_warning(status);
}

// ---- writing ----------------------------------------------------------------

Result<std::string> SegmentedEngine::encode(std::string_view client_id, const Json& data,
                                            uint64_t message_id) const {
  WAL_RETURN_IF_ERROR(validate_client_id(client_id));
  WAL_ASSIGN_OR_RETURN(Json record, checked_format_data(*interpreter_, data));
  const std::string json = dump_python_style(record);
  if (json.size() > options_.max_record_bytes) {
    return Status::invalid_argument("message of " + std::to_string(json.size()) +
                                    " bytes exceeds max_record_bytes (" +
                                    std::to_string(options_.max_record_bytes) + ")");
  }
  return encode_persist(client_id, message_id, json);
}

Result<PersistOutcome> SegmentedEngine::persist(std::string_view client_id, const Json& data,
                                                uint64_t message_id) {
  WAL_ASSIGN_OR_RETURN(std::string payload, encode(client_id, data, message_id));
  std::shared_ptr<Client> client = clients_.find_or_add(client_id);
  {
    std::lock_guard lock(client->mutex);
    WAL_RETURN_IF_ERROR(failure_.check());
    if (client->max_message_id && message_id <= *client->max_message_id) {
      return PersistOutcome::kDuplicate;  // the record that set the mark is durable
    }
    WAL_ASSIGN_OR_RETURN(LogWriter::Appended appended,
                         writer_->append({RecordToAppend{RecordType::kPersist, payload}}));
    WAL_RETURN_IF_ERROR(writer_->commit(appended.ticket));
    client->records.push_back(appended.locations.front());
    client->max_message_id = message_id;
  }
  after_write();
  return PersistOutcome::kWritten;
}

Result<std::vector<PersistOutcome>> SegmentedEngine::persist_batch(
    const std::vector<PersistRequest>& batch) {
  std::vector<std::string> payloads;
  payloads.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    auto payload = encode(batch[i].client_id, batch[i].data, batch[i].message_id);
    if (!payload.is_ok()) return payload.status().with_context("message " + std::to_string(i));
    payloads.push_back(std::move(payload).value());
  }
  // Locked in id order (the map's), so two batches cannot deadlock.
  std::map<std::string_view, std::shared_ptr<Client>> involved;
  for (const PersistRequest& request : batch) {
    if (!involved.contains(request.client_id)) {
      involved.emplace(request.client_id, clients_.find_or_add(request.client_id));
    }
  }
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(involved.size());
  for (auto& [client_id, client] : involved) locks.emplace_back(client->mutex);
  WAL_RETURN_IF_ERROR(failure_.check());

  std::vector<PersistOutcome> outcomes(batch.size(), PersistOutcome::kDuplicate);
  std::map<std::string_view, std::optional<uint64_t>> marks;
  for (auto& [client_id, client] : involved) marks[client_id] = client->max_message_id;
  std::vector<RecordToAppend> records;
  std::vector<size_t> written;  // indexes into batch, in append order
  for (size_t i = 0; i < batch.size(); ++i) {
    std::optional<uint64_t>& mark = marks[batch[i].client_id];
    if (mark && batch[i].message_id <= *mark) continue;
    mark = batch[i].message_id;
    outcomes[i] = PersistOutcome::kWritten;
    records.push_back(RecordToAppend{RecordType::kPersist, payloads[i]});
    written.push_back(i);
  }
  if (records.empty()) return outcomes;
  WAL_ASSIGN_OR_RETURN(LogWriter::Appended appended, writer_->append(records));
  WAL_RETURN_IF_ERROR(writer_->commit(appended.ticket));  // one durability point for all
  for (size_t k = 0; k < written.size(); ++k) {
    Client& client = *involved[batch[written[k]].client_id];
    client.records.push_back(appended.locations[k]);
    client.max_message_id = batch[written[k]].message_id;
  }
  locks.clear();
  after_write();
  return outcomes;
}

Status SegmentedEngine::clear(std::string_view client_id) {
  WAL_RETURN_IF_ERROR(validate_client_id(client_id));
  std::shared_ptr<Client> client = clients_.find(client_id);
  if (!client) return Status::ok();  // nothing recorded, nothing to forget
  {
    std::lock_guard lock(client->mutex);
    WAL_RETURN_IF_ERROR(failure_.check());
    if (!client->max_message_id && !client->snapshot && client->records.empty()) {
      return Status::ok();
    }
    // A durable record: replay drops everything before it for this client.
    const std::string payload = encode_clear(client_id);
    WAL_ASSIGN_OR_RETURN(LogWriter::Appended appended,
                         writer_->append({RecordToAppend{RecordType::kClear, payload}}));
    WAL_RETURN_IF_ERROR(writer_->commit(appended.ticket));
    client->max_message_id.reset();
    client->snapshot.reset();
    client->records.clear();
    ++client->generation;
    cache_.erase(std::string(client_id));
  }
  after_write();
  return Status::ok();
}

// ---- reading ----------------------------------------------------------------

Result<Json> SegmentedEngine::read_snapshot_state(const SnapshotRef& ref) const {
  Frame frame;
  WAL_ASSIGN_OR_RETURN(std::string bytes,
                       read_frame_at(*ref.file->file, ref.file->path, ref.file->number, ref.offset,
                                     ref.size, /*snapshot=*/true, &frame));
  SnapshotClientPayload client;
  if (!decode_snapshot_client(frame.payload, &client)) {
    return Status::corruption(ref.file->path, ref.offset, "snapshot record is malformed");
  }
  WAL_ASSIGN_OR_RETURN(Json body, parse_json(client.json, ref.file->path));
  auto state = interpreter_->parse_checkpoint(body);
  if (!state.is_ok())
    return Status::corruption(ref.file->path, ref.offset, state.status().message());
  return state;
}

Result<LogEntry> SegmentedEngine::read_entry(const Location& location) const {
  std::shared_ptr<Segment> segment = segments_.get(location.segment);
  if (!segment) {
    return Status::corruption(join_path(options_.base_dir, segment_file_name(location.segment)),
                              location.offset, "segment holding a live record is not open");
  }
  Frame frame;
  WAL_ASSIGN_OR_RETURN(std::string bytes,
                       read_frame_at(*segment->file, segment->path, segment->number,
                                     location.offset, location.size, /*snapshot=*/false, &frame));
  PersistPayload persist;
  if (frame.type != RecordType::kPersist || !decode_persist(frame.payload, &persist)) {
    return Status::corruption(segment->path, location.offset, "record is not a message");
  }
  WAL_ASSIGN_OR_RETURN(Json record, parse_json(persist.json, segment->path));
  auto data = interpreter_->parse_data(record);
  if (!data.is_ok())
    return Status::corruption(segment->path, location.offset, data.status().message());
  return LogEntry{persist.message_id, std::move(data).value()};
}

Result<Json> SegmentedEngine::load_state_locked(const std::string& client_id, Client& client,
                                                bool cache_it) {
  const bool caching = options_.segmented.state_cache_bytes > 0;
  std::optional<StateCache::Entry> cached;
  if (caching) cached = cache_.get(client_id, client.generation);
  StateCache::Entry entry;
  entry.generation = client.generation;
  auto first = client.records.begin();
  if (cached) {
    entry = std::move(*cached);
    if (entry.through) {
      first = std::upper_bound(client.records.begin(), client.records.end(), *entry.through,
                               [](const Position& through, const Location& record) {
                                 return through < record.position();
                               });
    }
  } else {
    entry.state = interpreter_->empty_state();
    if (client.snapshot) {
      WAL_ASSIGN_OR_RETURN(entry.state, read_snapshot_state(*client.snapshot));
      entry.bytes += client.snapshot->size;
    }
  }
  if (first != client.records.end()) {
    std::vector<LogEntry> entries;
    entries.reserve(static_cast<size_t>(client.records.end() - first));
    for (auto it = first; it != client.records.end(); ++it) {
      WAL_ASSIGN_OR_RETURN(LogEntry log_entry, read_entry(*it));
      entries.push_back(std::move(log_entry));
      entry.bytes += it->size;
    }
    WAL_ASSIGN_OR_RETURN(entry.state, interpreter_->merge_data(std::move(entry.state), entries));
    entry.through = client.records.back().position();
  }
  if (!caching || !cache_it) return std::move(entry.state);
  Json state = entry.state;
  cache_.put(client_id, std::move(entry));
  return state;
}

Result<Json> SegmentedEngine::retrieve(std::string_view client_id) {
  WAL_RETURN_IF_ERROR(validate_client_id(client_id));
  std::shared_ptr<Client> client = clients_.find(client_id);
  if (!client) return interpreter_->empty_state();
  std::lock_guard lock(client->mutex);
  return load_state_locked(std::string(client_id), *client, /*cache_it=*/true);
}

// ---- checkpoints ------------------------------------------------------------

uint64_t SegmentedEngine::log_bytes() const {
  return recovered_log_bytes_ + writer_->bytes_appended();
}

bool SegmentedEngine::checkpoint_due() const {
  const uint64_t since = log_bytes() - log_bytes_at_snapshot_.load();
  return since >= std::max<uint64_t>(options_.segmented.checkpoint_bytes, last_snapshot_bytes_);
}

void SegmentedEngine::after_write() {
  if (!checkpoint_due()) return;
  if (options_.segmented.background_work) {
    std::lock_guard lock(background_mutex_);
    checkpoint_requested_ = true;
    background_wake_.notify_all();
    return;
  }
  if (Status made = checkpoint(); !made.is_ok()) {
    warn(made.with_context("snapshot failed and will be retried"));
  }
}

void SegmentedEngine::run_checkpoints() {
  std::unique_lock lock(background_mutex_);
  while (true) {
    background_wake_.wait(lock, [&] { return stopping_ || checkpoint_requested_; });
    if (stopping_) return;
    checkpoint_requested_ = false;
    lock.unlock();
    Status made = checkpoint();
    if (!made.is_ok() && !abandon_checkpoint_) {
      warn(made.with_context("background snapshot failed and will be retried"));
    }
    lock.lock();
  }
}

void SegmentedEngine::run_interval_syncs() {
  const auto interval = std::chrono::milliseconds(options_.segmented.sync_interval_ms);
  std::unique_lock lock(background_mutex_);
  while (!background_wake_.wait_for(lock, interval, [&] { return stopping_; })) {
    lock.unlock();
    if (Status synced = writer_->sync(); !synced.is_ok()) warn(synced);
    lock.lock();
  }
}

Status SegmentedEngine::checkpoint() {
  std::lock_guard checkpoint_lock(checkpoint_mutex_);
  // Callers that crossed the threshold together take one snapshot, not one each.
  if (!checkpoint_due()) return Status::ok();
  return take_snapshot();
}

Status SegmentedEngine::snapshot_now() {
  std::lock_guard checkpoint_lock(checkpoint_mutex_);
  return take_snapshot();
}

Status SegmentedEngine::take_snapshot() {
  // Every record before the cut is written and, by the time its client's lock
  // is free, in its client's index. Records after it that the snapshot also
  // holds are skipped at replay: their ids are at or below the client's mark.
  const Position cut = writer_->committed_position();
  const uint64_t log_bytes_at_cut = log_bytes();
  const auto all = clients_.all();
  const uint64_t number = next_snapshot_number_++;
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotWriter> snapshot,
                       SnapshotWriter::create(*storage_, options_.base_dir, number, cut));
  struct Taken {
    std::string client_id;
    std::shared_ptr<Client> client;
    uint64_t generation = 0;
    size_t records = 0;  // how many of its records the snapshot holds
    SnapshotEntry entry;
  };
  std::vector<Taken> taken;
  for (const auto& [client_id, client] : all) {
    if (abandon_checkpoint_) return Status::failed("closing: snapshot abandoned");
    std::unique_lock lock(client->mutex);
    if (!client->max_message_id) continue;
    WAL_ASSIGN_OR_RETURN(Json state, load_state_locked(client_id, *client, /*cache_it=*/false));
    Taken item{client_id, client, client->generation, client->records.size(), {}};
    const uint64_t max_message_id = *client->max_message_id;
    lock.unlock();
    // The snapshot retires the segments before the cut, so it cannot leave a
    // client out: a bad body fails it, with a warning, and the log keeps everything.
    auto body = checked_format_checkpoint(*interpreter_, state);
    if (!body.is_ok())
      return body.status().with_context("snapshot of client \"" + client_id + "\"");
    WAL_ASSIGN_OR_RETURN(item.entry,
                         snapshot->add_client(client_id, max_message_id, dump_python_style(*body)));
    taken.push_back(std::move(item));
  }
  WAL_RETURN_IF_ERROR(snapshot->finish());
  const uint64_t snapshot_bytes = snapshot->bytes();

  auto file = std::make_shared<SnapshotFile>();
  file->number = number;
  file->path = snapshot->path();
  WAL_ASSIGN_OR_RETURN(file->file, storage_->open_positional_file(file->path, false));
  for (Taken& item : taken) {
    std::lock_guard lock(item.client->mutex);
    if (item.client->generation != item.generation) continue;  // cleared meanwhile
    item.client->snapshot = SnapshotRef{file, item.entry.offset, item.entry.size};
    auto& records = item.client->records;
    records.erase(records.begin(), records.begin() + static_cast<ptrdiff_t>(item.records));
    // A cached state says which records it merged, and those just moved
    // into the snapshot: it can no longer tell what it lacks.
    cache_.erase(item.client_id);
  }
  std::shared_ptr<SnapshotFile> previous = std::move(snapshot_);
  snapshot_ = std::move(file);
  log_bytes_at_snapshot_ = log_bytes_at_cut;
  last_snapshot_bytes_ = snapshot_bytes;

  // The new snapshot is durable and nothing refers to the old one or to the
  // segments before the cut any more: they go. A crash before this is done
  // leaves them to start-up, which retires what the newest snapshot covers.
  if (previous) {
    if (Status removed = storage_->remove_file(previous->path); !removed.is_ok()) {
      warn(removed.with_context("could not remove a superseded snapshot"));
    }
  }
  std::vector<std::shared_ptr<Segment>> covered = segments_.take_below(cut.segment);
  for (const auto& segment : covered) {
    // Its descriptor stays open until the last reference goes; recycling
    // reopens the file by its new name.
    if (Status retired = allocator_->retire(segment->path, segment->number); !retired.is_ok()) {
      warn(retired.with_context("could not retire a segment the snapshot covers"));
    }
  }
  return storage_->sync_dir(options_.base_dir);
}

}  // namespace wal::segmented
