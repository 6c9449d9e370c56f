#include "segmented/snapshot.h"

#include <algorithm>

#include "segmented/coding.h"
#include "segmented/file_names.h"
#include "segmented/record_reader.h"
#include "segmented/record_writer.h"
#include "util/paths.h"

namespace wal::segmented {
namespace {

constexpr size_t kFlushBytes = 1u << 20;
constexpr uint64_t kReadBytes = 1u << 20;

// A snapshot file's frames in order, read through a window of kReadBytes (or
// of one frame, when larger): loading a snapshot takes memory for its largest
// client, not for the whole file, which grows with the states it holds.
class FramesInWindow {
 public:
  FramesInWindow(PositionalFile& file, const std::string& path, uint64_t file_size, uint64_t number)
      : file_(file), path_(path), file_size_(file_size), number_(number) {}

  // As FrameReader::next on the whole file, offsets included.
  Result<FrameReader::Outcome> next(Frame* frame, std::string* problem) {
    WAL_RETURN_IF_ERROR(hold(kHeaderSize));
    const uint64_t at = position_ - window_start_;
    if (window_.size() - at >= kHeaderSize) {
      const uint32_t length = get_fixed32(window_.data() + at + kLengthOffset);
      // A length that runs past the file is damage the reader tells as such;
      // it is not read for.
      if (length <= kMaxPayload && length <= file_size_ - position_ - kHeaderSize) {
        WAL_RETURN_IF_ERROR(hold(kHeaderSize + length));
      }
    }
    FrameReader reader(window_, number_, position_ - window_start_, /*snapshot=*/true);
    const FrameReader::Outcome outcome = reader.next(frame, problem);
    if (outcome == FrameReader::Outcome::kFrame) {
      frame->offset += window_start_;
      position_ = frame->end();
    }
    return outcome;
  }

  uint64_t position() const { return position_; }

 private:
  // Makes the window hold the file's bytes from position_ for `bytes`, or to its end.
  Status hold(uint64_t bytes) {
    const uint64_t end = std::min(file_size_, position_ + bytes);
    if (end <= window_start_ + window_.size()) return Status::ok();
    const uint64_t size = std::min(file_size_ - position_, std::max(end - position_, kReadBytes));
    WAL_ASSIGN_OR_RETURN(window_, file_.read_at(position_, size));
    window_start_ = position_;
    if (window_.size() != size) {
      return Status::corruption(path_, position_, "snapshot file shrank while it was read");
    }
    return Status::ok();
  }

  PositionalFile& file_;
  const std::string& path_;
  const uint64_t file_size_;
  const uint64_t number_;
  std::string window_;
  uint64_t window_start_ = 0;  // the file offset of window_[0]
  uint64_t position_ = 0;
};

}  // namespace

SnapshotWriter::SnapshotWriter(Storage& storage, std::string base_dir, uint64_t number)
    : storage_(storage),
      base_dir_(std::move(base_dir)),
      number_(number),
      path_(join_path(base_dir_, snapshot_file_name(number))),
      temp_path_(temp_file_name(path_)) {}

SnapshotWriter::~SnapshotWriter() {
  if (finished_ || !file_) return;
  file_->close().ignore_error();
  storage_.remove_file(temp_path_).ignore_error();
}

Result<std::unique_ptr<SnapshotWriter>> SnapshotWriter::create(Storage& storage,
                                                               const std::string& base_dir,
                                                               uint64_t number, Position covered) {
  std::unique_ptr<SnapshotWriter> writer(new SnapshotWriter(storage, base_dir, number));
  WAL_ASSIGN_OR_RETURN(writer->file_, storage.new_writable_file(writer->temp_path_));
  append_frame(&writer->buffer_, RecordType::kSnapshotBegin, number,
               encode_snapshot_begin(covered));
  return writer;
}

Status SnapshotWriter::flush_buffer() {
  WAL_RETURN_IF_ERROR(file_->append(buffer_));
  written_ += buffer_.size();
  buffer_.clear();
  return Status::ok();
}

Result<SnapshotEntry> SnapshotWriter::add_client(std::string_view client_id,
                                                 uint64_t max_message_id, std::string_view json) {
  SnapshotEntry entry{std::string(client_id), max_message_id, bytes(), 0};
  append_frame(&buffer_, RecordType::kSnapshotClient, number_,
               encode_snapshot_client(client_id, max_message_id, json));
  entry.size = static_cast<uint32_t>(bytes() - entry.offset);
  ++clients_;
  if (buffer_.size() >= kFlushBytes) WAL_RETURN_IF_ERROR(flush_buffer());
  return entry;
}

Status SnapshotWriter::finish() {
  append_frame(&buffer_, RecordType::kSnapshotEnd, number_, encode_snapshot_end(clients_));
  WAL_RETURN_IF_ERROR(flush_buffer());
  WAL_RETURN_IF_ERROR(file_->sync());
  WAL_RETURN_IF_ERROR(file_->close());
  WAL_RETURN_IF_ERROR(storage_.rename_file(temp_path_, path_));
  finished_ = true;
  return storage_.sync_dir(base_dir_);
}

Result<LoadedSnapshot> load_snapshot(
    Storage& storage, const std::string& path, uint64_t number,
    const std::function<Status(const SnapshotEntry&, std::string_view json)>& on_client) {
  WAL_ASSIGN_OR_RETURN(std::unique_ptr<PositionalFile> file,
                       storage.open_positional_file(path, /*create=*/false));
  WAL_ASSIGN_OR_RETURN(const uint64_t file_size, file->size());
  LoadedSnapshot snapshot;
  snapshot.number = number;
  snapshot.path = path;
  snapshot.bytes = file_size;
  FramesInWindow frames(*file, path, file_size, number);
  Frame frame;
  std::string problem;
  const auto damaged = [&](const std::string& what) {
    return Status::corruption(path, frames.position(), "snapshot " + what);
  };
  WAL_ASSIGN_OR_RETURN(FrameReader::Outcome first, frames.next(&frame, &problem));
  if (first != FrameReader::Outcome::kFrame) {
    return damaged("has no readable first record: " + problem);
  }
  if (frame.type != RecordType::kSnapshotBegin ||
      !decode_snapshot_begin(frame.payload, &snapshot.covered)) {
    return Status::corruption(path, 0, "snapshot does not start with its begin record");
  }
  while (true) {
    WAL_ASSIGN_OR_RETURN(const FrameReader::Outcome outcome, frames.next(&frame, &problem));
    if (outcome != FrameReader::Outcome::kFrame) {
      return damaged(outcome == FrameReader::Outcome::kEnd ? "ends without its end record"
                                                           : "record is damaged: " + problem);
    }
    if (frame.type == RecordType::kSnapshotEnd) break;
    SnapshotClientPayload client;
    if (frame.type != RecordType::kSnapshotClient ||
        !decode_snapshot_client(frame.payload, &client)) {
      return Status::corruption(path, frame.offset, "snapshot record is not a client record");
    }
    snapshot.clients.push_back(SnapshotEntry{std::string(client.client_id), client.max_message_id,
                                             frame.offset, static_cast<uint32_t>(frame.size())});
    if (on_client) WAL_RETURN_IF_ERROR(on_client(snapshot.clients.back(), client.json));
  }
  uint64_t count = 0;
  if (!decode_snapshot_end(frame.payload, &count) || count != snapshot.clients.size() ||
      frames.position() != file_size) {
    return Status::corruption(path, frame.offset,
                              "snapshot end record does not match the records before it");
  }
  WAL_RETURN_IF_ERROR(file->close());
  return snapshot;
}

}  // namespace wal::segmented
