#include "segmented/segment_allocator.h"

#include <algorithm>
#include <chrono>

#include "segmented/file_names.h"
#include "segmented/record_format.h"
#include "util/paths.h"

namespace wal::segmented {
namespace {

constexpr uint64_t kZeroChunk = 1u << 20;

}  // namespace

std::string FreeFile::name() const {
  return snapshot ? free_snapshot_file_name(number) : free_file_name(number);
}

SegmentAllocator::SegmentAllocator(Storage& storage, Config config, uint64_t next_number,
                                   std::vector<FreeFile> free_files,
                                   std::vector<std::shared_ptr<Segment>> ready)
    : storage_(storage),
      config_(std::move(config)),
      next_number_(next_number),
      free_(std::make_move_iterator(free_files.begin()), std::make_move_iterator(free_files.end())),
      ready_(ready.begin(), ready.end()) {
  for (const FreeFile& file : free_) free_bytes_ += file.bytes;
  if (config_.background) thread_ = std::thread([this] { run(); });
}

SegmentAllocator::~SegmentAllocator() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SegmentAllocator::Claim SegmentAllocator::claim_locked() {
  Claim claim{next_number_++, std::nullopt};
  // Only a file whose frames all carry numbers below the new one may be
  // recycled: none of them may read as the new segment's.
  const auto usable = std::find_if(
      free_.begin(), free_.end(), [&](const FreeFile& file) { return file.number < claim.number; });
  if (usable != free_.end()) {
    claim.free = std::move(*usable);
    free_.erase(usable);
    free_bytes_ -= claim.free->bytes;
  }
  preparing_ = true;
  return claim;
}

void SegmentAllocator::unclaim_locked(const Claim& claim) {
  // Only one claim is out at a time, so the number is still the next one.
  next_number_ = claim.number;
  if (claim.free) {
    free_bytes_ += claim.free->bytes;
    free_.push_front(*claim.free);
  }
}

Result<std::shared_ptr<Segment>> SegmentAllocator::take() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !ready_.empty() || !preparing_; });
  if (!ready_.empty()) {
    std::shared_ptr<Segment> segment = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();  // the background thread prepares the one after
    return segment;
  }
  if (next_number_ > kLargestFileNumber) {
    return Status::corruption(
        join_path(config_.base_dir, segment_file_name(kLargestFileNumber)), 0,
        "segment numbers are used up: no segment can follow this one, whose name carries the "
        "largest number a segment may have. A log never gets that far: move the file out of the "
        "directory, as it is not this log's");
  }
  Claim claim = claim_locked();
  lock.unlock();
  auto segment = prepare(claim);
  lock.lock();
  preparing_ = false;
  if (!segment.is_ok()) unclaim_locked(claim);
  changed_.notify_all();
  return segment;
}

void SegmentAllocator::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] {
      return stop_ || (ready_.empty() && !preparing_ && next_number_ <= kLargestFileNumber);
    });
    if (stop_) return;
    Claim claim = claim_locked();
    lock.unlock();
    auto segment = prepare(claim);
    lock.lock();
    preparing_ = false;
    if (segment.is_ok()) {
      ready_.push_back(std::move(segment).value());
    } else {
      unclaim_locked(claim);
      if (config_.warn) {
        config_.warn(segment.status().with_context("preparing the next segment ahead failed"));
      }
      // take() prepares it itself meanwhile; retry later rather than spin.
      changed_.notify_all();
      changed_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; });
      continue;
    }
    changed_.notify_all();
  }
}

Result<std::shared_ptr<Segment>> SegmentAllocator::prepare(Claim& claim) {
  if (claim.free) return recycle(claim);
  return zero_fill(claim.number);
}

Result<std::shared_ptr<Segment>> SegmentAllocator::recycle(Claim& claim) {
  const std::string path = join_path(config_.base_dir, segment_file_name(claim.number));
  // Its old frames carry numbers below the new one: they read as recycled
  // space, never as frames of the new segment.
  const Status renamed =
      storage_.rename_file(join_path(config_.base_dir, claim.free->name()), path);
  if (renamed.code() == Code::kNotFound) {
    // Removed behind our back: the segment is made afresh instead.
    claim.free.reset();
    return zero_fill(claim.number);
  }
  WAL_RETURN_IF_ERROR(renamed);
  // The free file is gone. Should what follows fail, the next try at this
  // number puts another file under the segment's name; this one is not
  // offered again.
  claim.free.reset();
  WAL_RETURN_IF_ERROR(storage_.sync_dir(config_.base_dir));
  auto segment = std::make_shared<Segment>();
  segment->number = claim.number;
  segment->path = path;
  WAL_ASSIGN_OR_RETURN(segment->file, storage_.open_positional_file(path, false));
  WAL_ASSIGN_OR_RETURN(segment->capacity, segment->file->size());
  return segment;
}

Result<std::shared_ptr<Segment>> SegmentAllocator::zero_fill(uint64_t number) {
  const std::string path = join_path(config_.base_dir, segment_file_name(number));
  // Filled under a temporary name: a segment name always means a whole,
  // synced file, and a crash leaves only a .tmp that start-up removes.
  const std::string temp = temp_file_name(path);
  auto segment = std::make_shared<Segment>();
  segment->path = path;
  segment->number = number;
  segment->capacity = config_.segment_bytes;
  WAL_ASSIGN_OR_RETURN(segment->file, storage_.open_positional_file(temp, true));
  Status filled;
  const std::string zeros(std::min(kZeroChunk, config_.segment_bytes), '\0');
  for (uint64_t at = 0; filled.is_ok() && at < config_.segment_bytes; at += zeros.size()) {
    const uint64_t n = std::min<uint64_t>(zeros.size(), config_.segment_bytes - at);
    filled = segment->file->write_at(at, std::string_view(zeros).substr(0, n));
  }
  if (filled.is_ok()) filled = segment->file->sync();
  if (filled.is_ok()) filled = storage_.rename_file(temp, path);
  if (!filled.is_ok()) {
    segment->file->close().ignore_error();
    storage_.remove_file(temp).ignore_error();
    return filled;
  }
  WAL_RETURN_IF_ERROR(storage_.sync_dir(config_.base_dir));
  return segment;
}

void SegmentAllocator::set_keep_bytes(uint64_t bytes) {
  std::lock_guard lock(mutex_);
  keep_bytes_ = bytes;
}

Status SegmentAllocator::retire_segment(const std::string& path, uint64_t number, uint64_t bytes) {
  return retire(path, FreeFile{number, bytes, /*snapshot=*/false});
}

Status SegmentAllocator::retire_snapshot(const std::string& path, uint64_t number, uint64_t bytes) {
  return retire(path, FreeFile{number, bytes, /*snapshot=*/true});
}

bool SegmentAllocator::worth_keeping_locked(const FreeFile& file) const {
  if (config_.keep_free == 0) return false;
  // A snapshot shorter than a segment might not hold a frame as large as a
  // segment must take; a file longer than max_recycled_snapshot_bytes (a
  // snapshot, or a segment an older build recycled from one) would make
  // start-up, which reads a segment whole, take memory that grows with the
  // states; and a file numbered at or above the next segment can go into
  // none yet.
  if (file.snapshot && file.bytes < config_.segment_bytes) return false;
  if (file.bytes > max_recycled_snapshot_bytes(config_.segment_bytes)) return false;
  if (file.number >= next_number_) return false;
  if (free_bytes_ + file.bytes <= keep_bytes_) return true;
  // Beyond the budget only a few files of a segment's size: a segment
  // recycled from a snapshot may be far larger.
  if (file.bytes > config_.segment_bytes) return false;
  const auto small = std::count_if(free_.begin(), free_.end(), [&](const FreeFile& kept) {
    return kept.bytes <= config_.segment_bytes;
  });
  return small < static_cast<ptrdiff_t>(config_.keep_free);
}

Result<std::vector<std::string>> SegmentAllocator::trim() {
  std::vector<std::string> doomed;
  {
    std::lock_guard lock(mutex_);
    std::deque<FreeFile> found = std::move(free_);
    free_.clear();
    free_bytes_ = 0;
    for (FreeFile& file : found) {
      if (worth_keeping_locked(file)) {
        free_bytes_ += file.bytes;
        free_.push_back(std::move(file));
      } else {
        doomed.push_back(join_path(config_.base_dir, file.name()));
      }
    }
  }
  for (const std::string& path : doomed) WAL_RETURN_IF_ERROR(storage_.remove_file(path));
  return doomed;
}

Status SegmentAllocator::retire(const std::string& path, FreeFile file) {
  {
    std::lock_guard lock(mutex_);
    if (worth_keeping_locked(file)) {
      WAL_RETURN_IF_ERROR(storage_.rename_file(path, join_path(config_.base_dir, file.name())));
      free_bytes_ += file.bytes;
      free_.push_back(std::move(file));
      changed_.notify_all();
      return Status::ok();
    }
  }
  // Removed without the lock, which the writer needs for its next segment:
  // unlinking a large file can take a while.
  return storage_.remove_file(path);
}

}  // namespace wal::segmented
