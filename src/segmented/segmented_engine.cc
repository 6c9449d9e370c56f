#include "segmented/segmented_engine.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <optional>
#include <unordered_map>

#include "interpreter/checked_format.h"
#include "segmented/file_names.h"
#include "segmented/layout_file.h"
#include "segmented/payloads.h"
#include "segmented/read_blocks.h"
#include "segmented/record_format.h"
#include "segmented/record_reader.h"
#include "util/paths.h"
#include "wal/client_id.h"

namespace wal::segmented {

SegmentedEngine::SegmentedEngine(std::shared_ptr<StateInterpreter> interpreter,
                                 std::shared_ptr<Storage> storage, WriteAheadLogOptions options)
    : interpreter_(std::move(interpreter)),
      storage_(std::move(storage)),
      options_(std::move(options)),
      cache_(options_.segmented.state_cache_bytes),
      clients_([this] { return std::make_shared<Client>(options_.dedup); }) {}

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
  // A frame in a larger segment could hold a payload that readers take for damage.
  if (options.segmented.segment_bytes > kMaxPayload) {
    return Status::invalid_argument("segmented.segment_bytes must be at most " +
                                    std::to_string(kMaxPayload) + " (1 GiB)");
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
  WAL_ASSIGN_OR_RETURN(Recovered recovered, recover(*engine->storage_, engine->options_.base_dir,
                                                    engine->options_.segmented.recovery_mode,
                                                    &engine->report_, engine->options_.dedup));
  engine->warn_of_data_let_go();
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
    if (!is_readable_layout(*existing)) {
      return Status::corruption(path, 0,
                                "names a layout this build does not read: \"" + *existing + "\"");
    }
    // Version 1 stays version 1, readable by the builds that wrote it: only
    // frames it has are written there.
    data_frames_ = *existing == kLayoutFileContents;
    return Status::ok();
  }
  if (existing.status().code() != Code::kNotFound) return existing.status();
  // Written first and durably: a directory with segments always says what it is.
  return write_layout_file(*storage_, options_.base_dir);
}

Status SegmentedEngine::start(Recovered recovered) {
  const SegmentedOptions& segmented = options_.segmented;
  allocator_ = std::make_unique<SegmentAllocator>(
      *storage_,
      SegmentAllocator::Config{options_.base_dir, segmented.segment_bytes,
                               segmented.recycled_segments, segmented.background_work,
                               [this](const Status& status) { warn(status); }},
      recovered.next_segment_number, std::move(recovered.free_files), std::move(recovered.ready));
  if (recovered.snapshot) last_snapshot_bytes_ = recovered.snapshot->bytes;
  allocator_->set_keep_bytes(checkpoint_interval());
  for (auto& segment : recovered.segments) segments_.add(std::move(segment));
  for (const Recovered::Covered& covered : recovered.covered) {
    WAL_RETURN_IF_ERROR(allocator_->retire_segment(covered.path, covered.number, covered.bytes));
  }
  WAL_ASSIGN_OR_RETURN(const std::vector<std::string> trimmed, allocator_->trim());
  for (const std::string& path : trimmed) {
    report_.events.push_back(
        RecoveryReport::Event{path, "removed", "free file the log will not need"});
  }
  if (!recovered.covered.empty() || !trimmed.empty()) {
    WAL_RETURN_IF_ERROR(storage_->sync_dir(options_.base_dir));
  }

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
  }
  next_snapshot_number_ = recovered.next_snapshot_number;
  recovered_log_bytes_ = recovered.log_bytes;
  for (auto& [client_id, recovered_client] : recovered.clients) {
    auto client = std::make_shared<Client>(options_.dedup);
    client->dedup = recovered_client.dedup;
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
    if (auto highest = client->dedup.max_recorded()) summaries.push_back({client_id, highest});
  }
  return summaries;
}

void SegmentedEngine::warn(const Status& status) const {
  if (options_.on_warning) options_.on_warning(status);
}

void SegmentedEngine::warn_of_data_let_go() const {
  // The lenient recovery modes open past damage: what they let go may have
  // been acknowledged, so it is told as a warning too, not only in the
  // report, so that a service that logs warnings logs it. A torn tail is
  // not: it is a write a crash cut short, never acknowledged.
  for (const RecoveryReport::Event& event : report_.events) {
    if (lets_go_of_records(event)) {
      warn(Status::corruption("start-up " + event.action + " data in " + event.path + ": " +
                              event.reason));
    }
  }
}

// ---- writing ----------------------------------------------------------------

Result<MessageFrame> SegmentedEngine::encode(std::string_view client_id, const Json& data,
                                             uint64_t message_id) const {
  WAL_RETURN_IF_ERROR(validate_client_id(client_id));
  MessageFrame message;
  if (data_frames_ && interpreter_->wraps_data_as_is()) {
    // The record would be {"data": data, "_metadata": {}}: skip copying data into it.
    WAL_RETURN_IF_ERROR(check_message_data(*interpreter_, data));
    message = frame_persist_data(client_id, message_id, data);
  } else {
    WAL_ASSIGN_OR_RETURN(Json record, checked_format_data(*interpreter_, data));
    message = frame_message(client_id, message_id, record, data_frames_);
  }
  if (message.record_bytes > options_.max_record_bytes) {
    return Status::invalid_argument("message of " + std::to_string(message.record_bytes) +
                                    " bytes exceeds max_record_bytes (" +
                                    std::to_string(options_.max_record_bytes) + ")");
  }
  return message;
}

Result<PersistOutcome> SegmentedEngine::persist(std::string_view client_id, const Json& data,
                                                uint64_t message_id) {
  make_room_if_asked();
  WAL_ASSIGN_OR_RETURN(MessageFrame message, encode(client_id, data, message_id));
  std::shared_ptr<Client> client = clients_.find_or_add(client_id);
  {
    std::lock_guard lock(client->mutex);
    WAL_RETURN_IF_ERROR(failure_.check());
    switch (client->dedup.classify(message_id)) {
      case DedupState::Verdict::kDuplicate:
        return PersistOutcome::kDuplicate;  // the record that made it one is durable
      case DedupState::Verdict::kTooOld:
        return PersistOutcome::kTooOld;
      case DedupState::Verdict::kNew:
        break;
    }
    WAL_ASSIGN_OR_RETURN(LogWriter::Appended appended,
                         append({RecordToAppend{message.type, message.payload}}));
    WAL_RETURN_IF_ERROR(writer_->commit(appended.ticket));
    // A cached state merged the later ids already: it cannot take this one in its place.
    if (client->dedup.arrives_late(message_id)) cache_.erase(std::string(client_id));
    client->records.push_back(appended.locations.front());
    client->dedup.record(message_id);
  }
  after_write();
  return PersistOutcome::kWritten;
}

Result<std::vector<PersistOutcome>> SegmentedEngine::persist_batch(
    const std::vector<PersistRequest>& batch) {
  make_room_if_asked();
  std::vector<MessageFrame> messages;
  messages.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    auto message = encode(batch[i].client_id, batch[i].data, batch[i].message_id);
    if (!message.is_ok()) return message.status().with_context("message " + std::to_string(i));
    messages.push_back(std::move(message).value());
  }
  // Each client of the batch once, and each message's index among them: one
  // lookup per message, then plain indexing.
  struct Involved {
    std::string_view client_id;
    std::shared_ptr<Client> client;
    std::optional<DedupState> after;  // its dedup state once the batch is durable
    bool late = false;                // a message of the batch arrives late for it
  };
  std::vector<Involved> involved;
  std::vector<size_t> involved_index(batch.size());
  {
    std::unordered_map<std::string_view, size_t> index_of;
    for (size_t i = 0; i < batch.size(); ++i) {
      auto [found, added] = index_of.try_emplace(batch[i].client_id, involved.size());
      if (added) {
        involved.push_back(
            {batch[i].client_id, clients_.find_or_add(batch[i].client_id), std::nullopt, false});
      }
      involved_index[i] = found->second;
    }
  }
  // Locked in id order, so two batches cannot deadlock.
  std::vector<size_t> lock_order(involved.size());
  std::iota(lock_order.begin(), lock_order.end(), size_t{0});
  std::sort(lock_order.begin(), lock_order.end(),
            [&](size_t a, size_t b) { return involved[a].client_id < involved[b].client_id; });
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(involved.size());
  for (size_t k : lock_order) locks.emplace_back(involved[k].client->mutex);
  WAL_RETURN_IF_ERROR(failure_.check());

  std::vector<PersistOutcome> outcomes(batch.size(), PersistOutcome::kDuplicate);
  for (Involved& each : involved) each.after.emplace(each.client->dedup);
  std::vector<RecordToAppend> records;
  std::vector<size_t> written;  // indexes into batch, in append order
  for (size_t i = 0; i < batch.size(); ++i) {
    Involved& each = involved[involved_index[i]];
    DedupState& dedup = *each.after;
    const DedupState::Verdict verdict = dedup.classify(batch[i].message_id);
    if (verdict == DedupState::Verdict::kTooOld) outcomes[i] = PersistOutcome::kTooOld;
    if (verdict != DedupState::Verdict::kNew) continue;
    if (dedup.arrives_late(batch[i].message_id)) each.late = true;
    dedup.record(batch[i].message_id);
    outcomes[i] = PersistOutcome::kWritten;
    records.push_back(RecordToAppend{messages[i].type, messages[i].payload});
    written.push_back(i);
  }
  if (records.empty()) return outcomes;
  WAL_ASSIGN_OR_RETURN(LogWriter::Appended appended, append(records));
  WAL_RETURN_IF_ERROR(writer_->commit(appended.ticket));  // one durability point for all
  for (size_t k = 0; k < written.size(); ++k) {
    involved[involved_index[written[k]]].client->records.push_back(appended.locations[k]);
  }
  for (Involved& each : involved) {
    each.client->dedup = std::move(*each.after);
    if (each.late) cache_.erase(std::string(each.client_id));
  }
  locks.clear();
  after_write();
  return outcomes;
}

Status SegmentedEngine::clear(std::string_view client_id) {
  make_room_if_asked();
  WAL_RETURN_IF_ERROR(validate_client_id(client_id));
  std::shared_ptr<Client> client = clients_.find(client_id);
  if (!client) return Status::ok();  // nothing recorded, nothing to forget
  {
    std::lock_guard lock(client->mutex);
    WAL_RETURN_IF_ERROR(failure_.check());
    if (!client->dedup.max_recorded() && !client->snapshot && client->records.empty()) {
      return Status::ok();
    }
    // A durable record: replay drops everything before it for this client.
    const std::string payload = encode_clear(client_id);
    WAL_ASSIGN_OR_RETURN(LogWriter::Appended appended,
                         append({RecordToAppend{RecordType::kClear, payload}}));
    WAL_RETURN_IF_ERROR(writer_->commit(appended.ticket));
    client->dedup = DedupState(options_.dedup);
    client->snapshot.reset();
    client->records.clear();
    ++client->generation;
    cache_.erase(std::string(client_id));
  }
  after_write();
  return Status::ok();
}

// ---- reading ----------------------------------------------------------------

Result<ClientCheckpoint> SegmentedEngine::read_snapshot_frame(const SnapshotRef& ref) const {
  Frame frame;
  WAL_ASSIGN_OR_RETURN(std::string bytes,
                       read_frame_at(*ref.file->file, ref.file->path, ref.file->number, ref.offset,
                                     ref.size, /*snapshot=*/true, &frame));
  SnapshotClientPayload client;
  if (!decode_snapshot_client(frame.payload, &client)) {
    return Status::corruption(ref.file->path, ref.offset, "snapshot record is malformed");
  }
  WAL_ASSIGN_OR_RETURN(ClientCheckpoint checkpoint,
                       decode_client_checkpoint(options_.dedup.policy, client.json,
                                                client.max_message_id, ref.file->path, ref.offset));
  auto state = interpreter_->parse_checkpoint(checkpoint.state);
  if (!state.is_ok())
    return Status::corruption(ref.file->path, ref.offset, state.status().message());
  checkpoint.state = std::move(state).value();
  return checkpoint;
}

Status SegmentedEngine::read_records(std::span<const Location> locations,
                                     const RecordVisitor& visit) const {
  for (size_t first = 0; first < locations.size();) {
    const size_t end = read_block_end(locations, first);
    const Location& start = locations[first];
    std::shared_ptr<Segment> segment = segments_.get(start.segment);
    if (!segment) {
      return Status::corruption(join_path(options_.base_dir, segment_file_name(start.segment)),
                                start.offset, "segment holding a live record is not open");
    }
    const Location& last = locations[end - 1];
    WAL_ASSIGN_OR_RETURN(
        std::string block,
        segment->file->read_at(start.offset, last.offset + last.size - start.offset));
    for (size_t i = first; i < end; ++i) {
      const Location& location = locations[i];
      // A block cut short by the file's end leaves the records past it too short.
      const std::string_view bytes = std::string_view(block).substr(
          std::min<uint64_t>(location.offset - start.offset, block.size()), location.size);
      Frame frame;
      WAL_RETURN_IF_ERROR(check_frame_at(bytes, segment->path, segment->number, location.offset,
                                         location.size, /*snapshot=*/false, &frame));
      PersistPayload persist;
      if (!decode_message(frame.type, frame.payload, &persist)) {
        return Status::corruption(segment->path, location.offset, "record is not a message");
      }
      WAL_RETURN_IF_ERROR(visit(location, segment->path, persist));
    }
    first = end;
  }
  return Status::ok();
}

Result<LogEntry> SegmentedEngine::to_entry(std::pair<uint64_t, Json> record,
                                           const std::string& path, uint64_t offset) const {
  if (interpreter_->wraps_data_as_is() && record.second.is_object()) {
    // parse_data would copy "data" out of a record that is ours to take it from.
    if (auto data = record.second.find("data"); data != record.second.end()) {
      return LogEntry{record.first, std::move(*data)};
    }
  }
  auto data = interpreter_->parse_data(record.second);
  if (!data.is_ok()) return Status::corruption(path, offset, data.status().message());
  return LogEntry{record.first, std::move(data).value()};
}

Result<LogEntry> SegmentedEngine::to_entry(const PersistPayload& message, const std::string& path,
                                           uint64_t offset) const {
  if (message.data_only && interpreter_->wraps_data_as_is()) {
    // The frame holds the data itself: no record to build only to take apart.
    WAL_ASSIGN_OR_RETURN(Json data, parse_json(message.json, path));
    return LogEntry{message.message_id, std::move(data)};
  }
  WAL_ASSIGN_OR_RETURN(Json record, message_record(message, path));
  return to_entry({message.message_id, std::move(record)}, path, offset);
}

Result<Json> SegmentedEngine::merged_state(const std::string& client_id,
                                           const StateSources& sources, bool cache_it) {
  const bool caching = options_.segmented.state_cache_bytes > 0;
  std::optional<StateCache::Entry> cached;
  if (caching) cached = cache_.get(client_id, sources.generation);
  // Cached by a retrieve after `sources` were copied, it may hold records they lack.
  if (cached && cached->through &&
      (sources.records.empty() || sources.records.back().position() < *cached->through)) {
    cached.reset();
  }
  StateCache::Entry entry;
  entry.generation = sources.generation;
  auto first = sources.records.begin();
  if (cached) {
    entry = std::move(*cached);  // holds the snapshot and the records through `through`
    if (entry.through) {
      first = std::upper_bound(sources.records.begin(), sources.records.end(), *entry.through,
                               [](const Position& through, const Location& record) {
                                 return through < record.position();
                               });
    }
  }
  std::vector<LogEntry> entries;
  if (!cached) {
    entry.state = interpreter_->empty_state();
    if (sources.snapshot) {
      const SnapshotRef& snapshot = *sources.snapshot;
      WAL_ASSIGN_OR_RETURN(ClientCheckpoint checkpoint, read_snapshot_frame(snapshot));
      entry.state = std::move(checkpoint.state);
      for (auto& pending : checkpoint.pending) {
        WAL_ASSIGN_OR_RETURN(LogEntry log_entry,
                             to_entry(std::move(pending), snapshot.file->path, snapshot.offset));
        entries.push_back(std::move(log_entry));
      }
      entry.bytes += snapshot.size;
    }
  }
  WAL_RETURN_IF_ERROR(read_records(
      std::span<const Location>(first, sources.records.end()),
      [&](const Location& location, const std::string& path, const PersistPayload& message) {
        WAL_ASSIGN_OR_RETURN(LogEntry log_entry, to_entry(message, path, location.offset));
        entries.push_back(std::move(log_entry));
        entry.bytes += location.size;
        return Status::ok();
      }));
  if (!entries.empty()) {
    // Under kExact a late message goes in its place by id; under
    // kHighWaterMark log order is id order already, as it is under kExact
    // without late messages (checked first: it is the common case).
    const auto by_id = [](const LogEntry& a, const LogEntry& b) {
      return a.message_id < b.message_id;
    };
    if (exact() && !std::is_sorted(entries.begin(), entries.end(), by_id)) {
      std::stable_sort(entries.begin(), entries.end(), by_id);
    }
    WAL_ASSIGN_OR_RETURN(entry.state, interpreter_->merge_data(std::move(entry.state), entries));
  }
  if (first != sources.records.end()) entry.through = sources.records.back().position();
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
  return merged_state(std::string(client_id),
                      StateSources{client->generation, client->snapshot, client->records},
                      /*cache_it=*/true);
}

// ---- checkpoints ------------------------------------------------------------

uint64_t SegmentedEngine::log_bytes() const {
  return recovered_log_bytes_ + writer_->bytes_appended();
}

uint64_t SegmentedEngine::checkpoint_interval() const {
  // Twice the last snapshot: snapshots of a state that grows with its history
  // then write at most half as much as the log does.
  return std::max<uint64_t>(options_.segmented.checkpoint_bytes, 2 * last_snapshot_bytes_);
}

bool SegmentedEngine::checkpoint_due() const {
  return log_bytes() - log_bytes_at_snapshot_.load() >= checkpoint_interval();
}

void SegmentedEngine::request_background_snapshot() {
  std::lock_guard lock(background_mutex_);
  checkpoint_requested_ = true;
  background_wake_.notify_all();
}

void SegmentedEngine::after_write() {
  if (!checkpoint_due()) return;
  if (options_.segmented.background_work) {
    request_background_snapshot();
    return;
  }
  if (Status made = checkpoint(); !made.is_ok()) {
    warn(made.with_context("snapshot failed and will be retried"));
  }
}

Result<LogWriter::Appended> SegmentedEngine::append(const std::vector<RecordToAppend>& records) {
  auto appended = writer_->append(records);
  // Unless nothing was logged since the last snapshot: a new one would retire nothing.
  if (appended.status().code() == Code::kNoSpace && log_bytes() > log_bytes_at_snapshot_.load() &&
      room_retry_due()) {
    room_asked_ = true;
    if (options_.segmented.background_work) request_background_snapshot();
  }
  return appended;
}

bool SegmentedEngine::room_retry_due() {
  // At most one a second: a snapshot that cannot be written either would
  // otherwise run before every failing write.
  constexpr int64_t kRetryMillis = 1000;
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t last = room_asked_at_millis_.load();
  return now - last >= kRetryMillis && room_asked_at_millis_.compare_exchange_strong(last, now);
}

void SegmentedEngine::make_room_if_asked() {
  if (options_.segmented.background_work || !room_asked_.exchange(false)) return;
  if (Status made = snapshot_now(); !made.is_ok()) {
    warn(made.with_context("snapshot to make room on a full disk failed"));
  }
}

void SegmentedEngine::run_checkpoints() {
  std::unique_lock lock(background_mutex_);
  while (true) {
    background_wake_.wait(lock, [&] { return stopping_ || checkpoint_requested_; });
    if (stopping_) return;
    checkpoint_requested_ = false;
    lock.unlock();
    Status made = room_asked_.exchange(false) ? snapshot_now() : checkpoint();
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

Result<std::string> SegmentedEngine::client_snapshot_json(const std::string& client_id,
                                                          const ClientCopy& client) {
  if (!exact()) {
    WAL_ASSIGN_OR_RETURN(Json state, merged_state(client_id, client.sources(), /*cache_it=*/false));
    WAL_ASSIGN_OR_RETURN(Json body, checked_format_checkpoint(*interpreter_, state));
    return encode_client_checkpoint(DedupPolicy::kHighWaterMark, ClientCheckpoint{body, {}, {}});
  }
  // Only the settled messages fold: a late one may still land between the others.
  ClientCheckpoint checkpoint{interpreter_->empty_state(), client.dedup.save(), {}};
  std::vector<std::pair<uint64_t, Json>> unfolded;
  if (client.snapshot) {
    WAL_ASSIGN_OR_RETURN(ClientCheckpoint previous, read_snapshot_frame(*client.snapshot));
    checkpoint.state = std::move(previous.state);
    unfolded = std::move(previous.pending);
  }
  WAL_RETURN_IF_ERROR(read_records(
      client.records,
      [&](const Location&, const std::string& path, const PersistPayload& message) -> Status {
        WAL_ASSIGN_OR_RETURN(Json record, message_record(message, path));
        unfolded.emplace_back(message.message_id, std::move(record));
        return Status::ok();
      }));
  const auto by_id = [](const auto& a, const auto& b) { return a.first < b.first; };
  if (!std::is_sorted(unfolded.begin(), unfolded.end(), by_id)) {
    std::stable_sort(unfolded.begin(), unfolded.end(), by_id);
  }
  const std::optional<uint64_t> mark = client.dedup.low_water_mark();
  std::vector<LogEntry> folding;
  for (auto& record : unfolded) {
    if (mark && record.first <= *mark) {
      WAL_ASSIGN_OR_RETURN(LogEntry entry, to_entry(std::move(record), options_.base_dir, 0));
      folding.push_back(std::move(entry));
    } else {
      checkpoint.pending.push_back(std::move(record));
    }
  }
  if (!folding.empty()) {
    WAL_ASSIGN_OR_RETURN(checkpoint.state,
                         interpreter_->merge_data(std::move(checkpoint.state), folding));
  }
  WAL_ASSIGN_OR_RETURN(checkpoint.state,
                       checked_format_checkpoint(*interpreter_, checkpoint.state));
  return encode_client_checkpoint(DedupPolicy::kExact, checkpoint);
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
    const std::optional<uint64_t> highest = client->dedup.max_recorded();
    if (!highest) continue;
    const ClientCopy copy{client->generation, client->snapshot, client->records, client->dedup};
    lock.unlock();
    Taken item{client_id, client, copy.generation, copy.records.size(), {}};
    // The snapshot retires the segments before the cut, so it cannot leave a
    // client out: a bad body fails it, with a warning, and the log keeps everything.
    auto json = client_snapshot_json(client_id, copy);
    if (!json.is_ok())
      return json.status().with_context("snapshot of client \"" + client_id + "\"");
    WAL_ASSIGN_OR_RETURN(item.entry, snapshot->add_client(client_id, *highest, *json));
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
  allocator_->set_keep_bytes(checkpoint_interval());

  // The new snapshot is durable and nothing refers to the old one or to the
  // segments before the cut any more: they go. A crash before this is done
  // leaves them to start-up, which retires what the newest snapshot covers.
  if (previous) retire_superseded(std::move(previous));
  std::vector<std::shared_ptr<Segment>> covered = segments_.take_below(cut.segment);
  for (const auto& segment : covered) {
    // Its descriptor stays open until the last reference goes; recycling
    // reopens the file by its new name.
    if (Status retired =
            allocator_->retire_segment(segment->path, segment->number, segment->capacity);
        !retired.is_ok()) {
      warn(retired.with_context("could not retire a segment the snapshot covers"));
    }
  }
  return storage_->sync_dir(options_.base_dir);
}

void SegmentedEngine::retire_superseded(std::shared_ptr<SnapshotFile> snapshot) {
  // Every client now refers to the new snapshot, so no reference to the old
  // one can be made any more. Were one still held, a read through it could
  // meet segment frames once the file is recycled: then it is only removed,
  // which such a read survives.
  Status retired;
  Result<uint64_t> bytes = snapshot->file->size();
  if (snapshot.use_count() == 1 && bytes.is_ok()) {
    retired = allocator_->retire_snapshot(snapshot->path, snapshot->number, *bytes);
  } else {
    retired = storage_->remove_file(snapshot->path);
  }
  if (!retired.is_ok()) warn(retired.with_context("could not retire a superseded snapshot"));
}

}  // namespace wal::segmented
