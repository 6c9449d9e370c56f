#include "segmented/log_writer.h"

#include <algorithm>

#include "segmented/record_writer.h"

namespace wal::segmented {

LogWriter::LogWriter(SegmentAllocator& allocator, SegmentSet& segments, FailureLatch& failure,
                     SyncPolicy policy, uint64_t segment_bytes, std::shared_ptr<Segment> active,
                     uint64_t offset)
    : allocator_(allocator),
      segments_(segments),
      failure_(failure),
      policy_(policy),
      segment_bytes_(segment_bytes),
      active_(std::move(active)),
      tail_(offset),
      committed_{active_->number, offset} {
  segments_.add(active_);
}

bool LogWriter::fits(const Segment& segment, uint64_t offset, uint64_t frame) const {
  // Room is always kept for the end frame that closes the segment.
  return offset + frame + kHeaderSize <= segment.capacity;
}

Status LogWriter::reserve_segments_locked(const std::vector<RecordToAppend>& records) {
  // Walks the records over the active and spare segments, taking more
  // segments until all fit. Nothing is framed until this succeeds, so a
  // failure leaves the log as it was (segments taken stay spare, in order).
  size_t segment_index = 0;  // 0: active_, i: spare_[i - 1]
  uint64_t offset = tail_;
  for (const RecordToAppend& record : records) {
    const uint64_t frame = frame_size(record.payload.size());
    while (!fits(segment_index == 0 ? *active_ : *spare_[segment_index - 1], offset, frame)) {
      ++segment_index;
      offset = 0;
      if (segment_index > spare_.size()) {
        auto next = allocator_.take();
        if (!next.is_ok()) {
          // Out of space shows here, before anything is written: not sticky.
          if (next.status().code() == Code::kNoSpace) return next.status();
          return failure_.fail(next.status());
        }
        spare_.push_back(std::move(next).value());
      }
    }
    offset += frame;
  }
  return Status::ok();
}

std::string& LogWriter::chunk_for_locked(uint64_t offset) {
  if (chunks_.empty() || chunks_.back().segment != active_) {
    chunks_.push_back(Chunk{active_, offset, std::string(), false});
  }
  return chunks_.back().bytes;
}

void LogWriter::rotate_locked() {
  append_frame(&chunk_for_locked(tail_), RecordType::kSegmentEnd, active_->number, {});
  chunks_.back().closes_segment = true;
  bytes_appended_ += kHeaderSize;
  active_ = std::move(spare_.front());
  spare_.pop_front();
  tail_ = 0;
  segments_.add(active_);
}

Result<LogWriter::Appended> LogWriter::append(const std::vector<RecordToAppend>& records) {
  for (const RecordToAppend& record : records) {
    if (record.payload.size() > max_payload()) {
      return Status::invalid_argument("a record of " + std::to_string(record.payload.size()) +
                                      " bytes does not fit in a segment of " +
                                      std::to_string(segment_bytes_) + " bytes");
    }
  }
  std::lock_guard lock(mutex_);
  WAL_RETURN_IF_ERROR(failure_.check());
  WAL_RETURN_IF_ERROR(reserve_segments_locked(records));
  Appended appended;
  appended.locations.reserve(records.size());
  for (const RecordToAppend& record : records) {
    const uint64_t frame = frame_size(record.payload.size());
    while (!fits(*active_, tail_, frame)) rotate_locked();
    appended.locations.push_back(Location{active_->number, tail_, static_cast<uint32_t>(frame)});
    append_frame(&chunk_for_locked(tail_), record.type, active_->number, record.payload);
    tail_ += frame;
    bytes_appended_ += frame;
  }
  appended.ticket = ++appended_ticket_;
  ++pending_appends_;
  if (gathering_) appended_.notify_one();
  return appended;
}

Status LogWriter::write_chunks(std::vector<Chunk>& chunks) {
  for (size_t i = 0; i < chunks.size(); ++i) {
    Chunk& chunk = chunks[i];
    WAL_RETURN_IF_ERROR(chunk.segment->file->write_at(chunk.offset, chunk.bytes));
    const bool last_for_segment = i + 1 == chunks.size();
    // A closed segment is synced before the next one is written, whatever the
    // policy: a segment without its end frame is then always the last one.
    if (chunk.closes_segment || (last_for_segment && policy_ == SyncPolicy::kAlways)) {
      WAL_RETURN_IF_ERROR(chunk.segment->file->sync());
    } else {
      std::lock_guard lock(mutex_);
      if (std::find(unsynced_.begin(), unsynced_.end(), chunk.segment) == unsynced_.end()) {
        unsynced_.push_back(chunk.segment);
      }
    }
  }
  return Status::ok();
}

Status LogWriter::commit(uint64_t ticket) {
  std::unique_lock lock(mutex_);
  while (true) {
    WAL_RETURN_IF_ERROR(failure_.check());
    if (committed_ticket_ >= ticket) return Status::ok();
    if (!flushing_) break;
    flushed_.wait(lock);
  }
  // The leader: writes what every thread appended so far, once the writers
  // the last group released (all but itself) have had a moment to append.
  flushing_ = true;
  const int expected = last_group_appends_ + pending_appends_ - 1;
  if (expected > pending_appends_) {
    const auto wait =
        std::min<std::chrono::nanoseconds>(last_flush_ / 2, std::chrono::microseconds(100));
    gathering_ = true;
    appended_.wait_for(lock, wait, [&] { return pending_appends_ >= expected; });
    gathering_ = false;
  }
  last_group_appends_ = pending_appends_;
  pending_appends_ = 0;
  std::vector<Chunk> chunks = std::move(chunks_);
  chunks_.clear();
  const uint64_t target = appended_ticket_;
  const Position end{active_->number, tail_};
  lock.unlock();
  const auto started = std::chrono::steady_clock::now();
  Status written = write_chunks(chunks);
  const auto took = std::chrono::steady_clock::now() - started;
  lock.lock();
  last_flush_ = took;
  flushing_ = false;
  if (written.is_ok()) {
    committed_ticket_ = target;
    committed_ = end;
  } else {
    written = failure_.fail(written);
  }
  flushed_.notify_all();
  return written;
}

Status LogWriter::sync() {
  std::unique_lock lock(mutex_);
  flushed_.wait(lock, [&] { return !flushing_; });
  WAL_RETURN_IF_ERROR(failure_.check());
  if (unsynced_.empty()) return Status::ok();
  flushing_ = true;
  std::vector<std::shared_ptr<Segment>> segments = std::move(unsynced_);
  unsynced_.clear();
  lock.unlock();
  Status synced;
  for (const auto& segment : segments) {
    synced = segment->file->sync();
    if (!synced.is_ok()) break;
  }
  lock.lock();
  flushing_ = false;
  if (!synced.is_ok()) synced = failure_.fail(synced);
  flushed_.notify_all();
  return synced;
}

Position LogWriter::committed_position() const {
  std::lock_guard lock(mutex_);
  return committed_;
}

uint64_t LogWriter::bytes_appended() const {
  std::lock_guard lock(mutex_);
  return bytes_appended_;
}

}  // namespace wal::segmented
