#include "segmented/segment_allocator.h"

#include <chrono>

#include "segmented/file_names.h"
#include "util/paths.h"

namespace wal::segmented {
namespace {

constexpr uint64_t kZeroChunk = 1u << 20;

}  // namespace

SegmentAllocator::SegmentAllocator(Storage& storage, Config config, uint64_t next_number,
                                   std::vector<uint64_t> free_numbers,
                                   std::vector<std::shared_ptr<Segment>> ready)
    : storage_(storage),
      config_(std::move(config)),
      next_number_(next_number),
      free_(free_numbers.begin(), free_numbers.end()),
      ready_(ready.begin(), ready.end()) {
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
  // Only a file whose old number is below the new one may be recycled: its
  // frames must never read as the new segment's.
  if (!free_.empty() && free_.front() < claim.number) {
    claim.free_number = free_.front();
    free_.pop_front();
  }
  preparing_ = true;
  return claim;
}

void SegmentAllocator::unclaim_locked(const Claim& claim) {
  // Only one claim is out at a time, so the number is still the next one.
  next_number_ = claim.number;
  if (claim.free_number) free_.push_front(*claim.free_number);
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
  const Claim claim = claim_locked();
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
    changed_.wait(lock, [&] { return stop_ || (ready_.empty() && !preparing_); });
    if (stop_) return;
    const Claim claim = claim_locked();
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

Result<std::shared_ptr<Segment>> SegmentAllocator::prepare(const Claim& claim) {
  if (claim.free_number) return recycle(*claim.free_number, claim.number);
  return zero_fill(claim.number);
}

Result<std::shared_ptr<Segment>> SegmentAllocator::recycle(uint64_t free_number, uint64_t number) {
  const std::string path = join_path(config_.base_dir, segment_file_name(number));
  // Its old frames carry its old number, below every new one: they read as
  // recycled space, never as frames of the new segment.
  const std::string from = join_path(config_.base_dir, free_file_name(free_number));
  WAL_RETURN_IF_ERROR(storage_.rename_file(from, path));
  WAL_RETURN_IF_ERROR(storage_.sync_dir(config_.base_dir));
  auto segment = std::make_shared<Segment>();
  segment->number = number;
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

Status SegmentAllocator::retire(const std::string& path, uint64_t number) {
  std::lock_guard lock(mutex_);
  if (free_.size() < config_.max_free) {
    WAL_RETURN_IF_ERROR(
        storage_.rename_file(path, join_path(config_.base_dir, free_file_name(number))));
    free_.push_back(number);
    changed_.notify_all();
    return Status::ok();
  }
  return storage_.remove_file(path);
}

}  // namespace wal::segmented
