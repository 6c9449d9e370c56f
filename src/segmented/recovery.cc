#include "segmented/recovery.h"

#include <algorithm>

#include "seed/file_names.h"
#include "segmented/client_checkpoint.h"
#include "segmented/coding.h"
#include "segmented/file_names.h"
#include "segmented/record_reader.h"
#include "segmented/record_writer.h"
#include "util/file_size.h"
#include "util/paths.h"

namespace wal::segmented {
namespace {

class Recoverer {
 public:
  Recoverer(Storage& storage, const std::string& base_dir, RecoveryMode mode,
            RecoveryReport* report, const DedupOptions& dedup)
      : storage_(storage), base_dir_(base_dir), mode_(mode), report_(report), dedup_(dedup) {}

  Result<Recovered> run() {
    WAL_RETURN_IF_ERROR(list());
    WAL_RETURN_IF_ERROR(load_latest_snapshot());
    WAL_RETURN_IF_ERROR(replay());
    WAL_RETURN_IF_ERROR(open_segments());
    for (const auto& [client_id, client] : out_.clients) {
      if (client.dedup.max_recorded()) ++report_->clients;
    }
    if (!removed_.empty()) WAL_RETURN_IF_ERROR(storage_.sync_dir(base_dir_));
    return std::move(out_);
  }

 private:
  std::string path(const std::string& name) const { return join_path(base_dir_, name); }
  std::string segment_path(uint64_t number) const { return path(segment_file_name(number)); }
  bool exists(uint64_t number) const { return segments_.contains(number); }
  bool strict() const {
    return mode_ == RecoveryMode::kTolerateTornTail || mode_ == RecoveryMode::kAbsoluteConsistency;
  }

  void note(const std::string& file, const std::string& action, const std::string& reason) {
    report_->events.push_back(RecoveryReport::Event{file, action, reason});
  }

  Status remove(const std::string& file, const std::string& action, const std::string& reason) {
    WAL_RETURN_IF_ERROR(storage_.remove_file(file));
    removed_.push_back(file);
    note(file, action, reason);
    return Status::ok();
  }

  // Sorts the directory's entries by kind; temporary files go.
  Status list() {
    WAL_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, storage_.list_dir(base_dir_));
    for (const DirEntry& entry : entries) {
      const ParsedFileName parsed = parse_file_name(entry.name);
      const bool file = entry.type == DirEntry::Type::kFile;
      if (file && (parsed.kind == FileKind::kTemp || entry.name == seed::kDedupTempFileName)) {
        WAL_RETURN_IF_ERROR(remove(path(entry.name), "removed", "temporary file"));
      } else if (file && parsed.kind == FileKind::kSegment) {
        segments_[parsed.number] = entry.name;
      } else if (file && parsed.kind == FileKind::kSnapshot) {
        snapshots_[parsed.number] = entry.name;
      } else if (file &&
                 (parsed.kind == FileKind::kFree || parsed.kind == FileKind::kFreeSnapshot)) {
        WAL_ASSIGN_OR_RETURN(const uint64_t bytes, file_size(storage_, path(entry.name)));
        out_.free_files.push_back(
            FreeFile{parsed.number, bytes, parsed.kind == FileKind::kFreeSnapshot});
        // A new snapshot's number must not be one a free file already bears.
        if (parsed.kind == FileKind::kFreeSnapshot) {
          out_.next_snapshot_number = std::max(out_.next_snapshot_number, parsed.number + 1);
        }
      } else if (entry.name != kLayoutFileName && entry.name != seed::kLockFileName &&
                 entry.name != seed::kDedupFileName &&
                 entry.name != seed::kQuarantineDirName) {  // walctl repair's copies
        note(path(entry.name), "ignored", "not a file of the segmented layout");
      }
    }
    std::sort(out_.free_files.begin(), out_.free_files.end(),
              [](const FreeFile& a, const FreeFile& b) { return a.number < b.number; });
    if (!snapshots_.empty()) {
      out_.next_snapshot_number =
          std::max(out_.next_snapshot_number, snapshots_.rbegin()->first + 1);
    }
    return Status::ok();
  }

  Status load_latest_snapshot() {
    for (auto it = snapshots_.rbegin(); it != snapshots_.rend(); ++it) {
      const std::string file = path(it->second);
      if (out_.snapshot) {
        // Older than the one loaded: left by a crash before its removal.
        WAL_RETURN_IF_ERROR(remove(file, "removed", "superseded snapshot"));
        continue;
      }
      std::map<std::string, DedupState::Saved, std::less<>> saved;
      const auto read_dedup = [&](const SnapshotEntry& entry, std::string_view json) -> Status {
        WAL_ASSIGN_OR_RETURN(
            saved[entry.client_id],
            decode_client_dedup(dedup_.policy, json, entry.max_message_id, file, entry.offset));
        return Status::ok();
      };
      // Under kHighWaterMark the frame's id is the whole dedup state.
      const bool exact = dedup_.policy == DedupPolicy::kExact;
      std::function<Status(const SnapshotEntry&, std::string_view)> on_client;
      if (exact) on_client = read_dedup;
      auto loaded = load_snapshot(storage_, file, it->first, on_client);
      if (!loaded.is_ok()) {
        if (strict() || loaded.status().code() != Code::kCorruption) return loaded.status();
        // Never removed: damage is for an operator to see.
        note(file, "ignored", loaded.status().to_string());
        continue;
      }
      out_.snapshot = std::move(loaded).value();
      ++report_->checkpoints;
      for (SnapshotEntry& entry : out_.snapshot->clients) {
        RecoveredClient& client = find_or_add(entry.client_id);
        client.dedup = DedupState(dedup_, exact ? saved[entry.client_id]
                                                : DedupState::Saved{entry.max_message_id, 0, {}});
        client.snapshot = std::move(entry);
      }
      out_.snapshot->clients.clear();
    }
    return Status::ok();
  }

  // True when the segment's first frame (at `offset`) carries its number, or
  // is a whole frame of the segment whose log number alone was damaged.
  Result<bool> holds_data(uint64_t number, uint64_t offset) {
    WAL_ASSIGN_OR_RETURN(std::unique_ptr<PositionalFile> file,
                         storage_.open_positional_file(segment_path(number), false));
    auto read = [&]() -> Result<bool> {
      WAL_ASSIGN_OR_RETURN(std::string header, file->read_at(offset, kHeaderSize));
      if (header.size() < kHeaderSize) return false;
      if (get_fixed64(header.data() + kLogNumberOffset) == number) return true;
      const uint32_t length = get_fixed32(header.data() + kLengthOffset);
      if (length > kMaxPayload) return false;
      WAL_ASSIGN_OR_RETURN(std::string bytes, file->read_at(offset, kHeaderSize + length));
      FrameReader reader(bytes, number, 0, /*snapshot=*/false);
      Frame frame;
      std::string problem;
      return reader.next(&frame, &problem) != FrameReader::Outcome::kEnd;
    };
    Result<bool> data = read();
    file->close().ignore_error();
    return data;
  }

  // Writes an end frame at `offset`: the segment ends there, for good.
  Status close_segment_at(uint64_t number, uint64_t offset) {
    std::string end;
    append_frame(&end, RecordType::kSegmentEnd, number, {});
    WAL_ASSIGN_OR_RETURN(std::unique_ptr<PositionalFile> file,
                         storage_.open_positional_file(segment_path(number), false));
    WAL_RETURN_IF_ERROR(file->write_at(offset, end));
    WAL_RETURN_IF_ERROR(file->sync());
    return file->close();
  }

  // kPointInTime: removes every segment after `number`, durably, before the
  // caller ends `number` at the damage, so that what was dropped stays dropped.
  Status drop_after(uint64_t number, const std::string& reason) {
    for (auto it = segments_.upper_bound(number); it != segments_.end();) {
      WAL_RETURN_IF_ERROR(remove(path(it->second), "dropped", reason));
      it = segments_.erase(it);
    }
    return storage_.sync_dir(base_dir_);
  }

  // Damage that is not a torn tail, at `offset` of segment `number`. Returns
  // an error in the strict modes; otherwise records what the mode does.
  Status damage_in_middle(uint64_t number, uint64_t offset, const std::string& problem) {
    const std::string file = segment_path(number);
    if (strict()) {
      return Status::corruption(file, offset,
                                problem + "; acknowledged records follow it. Recovery mode " +
                                    recovery_mode_name(mode_) +
                                    " refuses to drop them: see RecoveryMode in write_ahead_log.h");
    }
    return Status::ok();
  }

  Status replay() {
    Position start{segments_.empty() ? 1 : segments_.begin()->first, 0};
    if (out_.snapshot) start = out_.snapshot->covered;
    for (auto it = segments_.begin(); it != segments_.end() && it->first < start.segment;) {
      WAL_ASSIGN_OR_RETURN(const uint64_t bytes, file_size(storage_, path(it->second)));
      out_.covered.push_back(Recovered::Covered{path(it->second), it->first, bytes});
      note(path(it->second), "retired", "covered by the snapshot");
      it = segments_.erase(it);
    }
    if (segments_.empty()) {
      if (out_.snapshot && strict() && start.offset > 0) {
        return Status::corruption(segment_path(start.segment), 0,
                                  "segment covered in part by the snapshot is missing");
      }
      // A new log: it starts in a new segment numbered start.segment.
      end_number_ = start.segment - 1;
      ended_by_frame_ = true;
      return Status::ok();
    }
    if (!out_.snapshot && start.segment > 1) {
      const std::string problem = "segments before " + std::to_string(start.segment) +
                                  " are missing and no snapshot covers them";
      WAL_RETURN_IF_ERROR(damage_in_middle(start.segment, 0, problem));
      note(segment_path(start.segment), "skipped", problem);
    }
    // The log runs from `start` to the last segment holding data; any after
    // it were prepared ahead and never used.
    uint64_t last = start.segment;
    for (auto it = segments_.rbegin(); it != segments_.rend() && it->first > last; ++it) {
      WAL_ASSIGN_OR_RETURN(bool data, holds_data(it->first, 0));
      if (data) {
        last = it->first;
        break;
      }
    }

    bool ended_by_frame = false;  // the log's last segment ends with an end frame
    uint64_t end_number = start.segment;
    uint64_t end_offset = start.offset;
    for (uint64_t number = start.segment; number <= last; ++number) {
      end_number = number;
      ended_by_frame = false;
      if (!exists(number)) {
        const std::string problem = "segment is missing; later segments hold records";
        WAL_RETURN_IF_ERROR(damage_in_middle(number, 0, problem));
        if (mode_ == RecoveryMode::kPointInTime) {
          WAL_RETURN_IF_ERROR(drop_after(number, "after a missing segment (point-in-time)"));
          ended_by_frame = true;  // the log continues in a new segment numbered `number`
          end_number = number - 1;
          break;
        }
        // One note for the whole gap: numbers run to 2^64-2, so a gap may be
        // too long to walk.
        const auto next = segments_.lower_bound(number);
        const uint64_t gap_end = next == segments_.end() ? last : std::min(next->first - 1, last);
        note(segment_path(number), "skipped",
             gap_end == number
                 ? problem
                 : "segments " + std::to_string(number) + " to " + std::to_string(gap_end) +
                       " are missing; later segments hold records");
        number = gap_end;
        continue;
      }
      WAL_ASSIGN_OR_RETURN(std::string contents, storage_.read_file(segment_path(number)));
      ++report_->logs;
      FrameReader reader(contents, number, number == start.segment ? start.offset : 0, false);
      bool stop = false;
      while (!stop) {
        Frame frame;
        std::string problem;
        const FrameReader::Outcome outcome = reader.next(&frame, &problem);
        if (outcome == FrameReader::Outcome::kFrame) {
          if (frame.type == RecordType::kSegmentEnd) {
            out_.log_bytes += frame.size();  // counted as the writer counts it
            ended_by_frame = true;
            break;
          }
          if (apply(number, frame)) continue;
          problem = "record payload is malformed";
          reader.seek(frame.offset);
        }
        const uint64_t at = reader.position();
        end_offset = at;
        // The writer always leaves room for an end frame after a record, so a
        // file that ends sooner was cut short.
        const bool cut_short = at >= contents.size() || contents.size() - at < kHeaderSize;
        if (outcome == FrameReader::Outcome::kEnd && number == last && cut_short) {
          problem = "the file ends " +
                    std::to_string(contents.size() > at ? contents.size() - at : 0) +
                    " bytes after the last whole record, short of the header the writer always "
                    "leaves room for: cut short";
        } else if (outcome == FrameReader::Outcome::kEnd) {
          if (number == last) break;  // the clean end of the log
          problem = "segment ends without its end record; later segments hold records";
          WAL_RETURN_IF_ERROR(damage_in_middle(number, at, problem));
          if (mode_ == RecoveryMode::kPointInTime) {
            WAL_RETURN_IF_ERROR(drop_after(number, "after damage (point-in-time)"));
            WAL_RETURN_IF_ERROR(close_segment_at(number, at));
            note(segment_path(number), "dropped", problem + " at offset " + std::to_string(at));
            ended_by_frame = true;
            last = number;
          } else {
            note(segment_path(number), "skipped", problem + " at offset " + std::to_string(at));
          }
          break;
        }
        // Damaged bytes at `at`: a torn tail if nothing valid follows them.
        const std::optional<uint64_t> next = reader.find_frame(at + 1);
        const std::string where = " at offset " + std::to_string(at);
        if (!next && number == last) {
          if (mode_ == RecoveryMode::kAbsoluteConsistency) {
            return Status::corruption(
                segment_path(number), at,
                "torn tail (" + problem + "); recovery mode absolute-consistency refuses it");
          }
          WAL_RETURN_IF_ERROR(close_segment_at(number, at));
          note(segment_path(number), "truncated",
               "torn tail" + where + " (" + problem + "), never acknowledged");
          report_->torn_tail = true;
          ended_by_frame = true;
          break;
        }
        WAL_RETURN_IF_ERROR(damage_in_middle(number, at, problem));
        if (mode_ == RecoveryMode::kPointInTime) {
          WAL_RETURN_IF_ERROR(drop_after(number, "after damage (point-in-time)"));
          WAL_RETURN_IF_ERROR(close_segment_at(number, at));
          note(segment_path(number), "dropped", "everything from" + where + " (" + problem + ")");
          ended_by_frame = true;
          last = number;
          break;
        }
        note(segment_path(number), "skipped",
             "damaged bytes from" + where + " to " +
                 (next ? "offset " + std::to_string(*next) : std::string("the end")) + " (" +
                 problem + ")");
        if (next) {
          reader.seek(*next);
        } else {
          stop = true;
        }
      }
    }
    ended_by_frame_ = ended_by_frame;
    end_number_ = end_number;
    end_offset_ = end_offset;
    return Status::ok();
  }

  // Applies a persist or clear frame to the index; false when malformed.
  bool apply(uint64_t number, const Frame& frame) {
    ++report_->records;
    out_.log_bytes += frame.size();
    const Location location{number, frame.offset, static_cast<uint32_t>(frame.size())};
    if (is_message_type(frame.type)) {
      PersistPayload persist;
      if (!decode_message(frame.type, frame.payload, &persist)) return false;
      RecoveredClient& client = find_or_add(persist.client_id);
      // Recorded already: in the snapshot, which may reach past its cut.
      if (client.dedup.classify(persist.message_id) != DedupState::Verdict::kNew) return true;
      client.dedup.record(persist.message_id);
      client.records.push_back(location);
      return true;
    }
    ClientPayload clear;
    if (!decode_clear(frame.payload, &clear)) return false;
    auto it = out_.clients.find(clear.client_id);
    if (it != out_.clients.end()) out_.clients.erase(it);
    return true;
  }

  RecoveredClient& find_or_add(std::string_view client_id) {
    auto it = out_.clients.find(client_id);
    if (it == out_.clients.end())
      it = out_.clients.emplace(std::string(client_id), RecoveredClient(dedup_)).first;
    return it->second;
  }

  Result<std::shared_ptr<Segment>> open_segment(uint64_t number) {
    auto segment = std::make_shared<Segment>();
    segment->number = number;
    segment->path = segment_path(number);
    WAL_ASSIGN_OR_RETURN(segment->file, storage_.open_positional_file(segment->path, false));
    WAL_ASSIGN_OR_RETURN(segment->capacity, segment->file->size());
    return segment;
  }

  // Opens the log's segments for reading and sorts out the ones after it.
  Status open_segments() {
    uint64_t next = end_number_ + 1;
    for (const auto& [number, name] : segments_) {
      if (number > end_number_) continue;
      WAL_ASSIGN_OR_RETURN(std::shared_ptr<Segment> segment, open_segment(number));
      if (number == end_number_ && !ended_by_frame_) {
        out_.active = segment;
        out_.active_offset = end_offset_;
      }
      out_.segments.push_back(std::move(segment));
    }
    for (const auto& [number, name] : segments_) {
      if (number <= end_number_) continue;
      if (number == next) {
        WAL_ASSIGN_OR_RETURN(std::shared_ptr<Segment> segment, open_segment(number));
        out_.ready.push_back(std::move(segment));
        ++next;
      } else {
        WAL_RETURN_IF_ERROR(remove(path(name), "removed", "unused segment after a gap"));
      }
    }
    out_.next_segment_number = next;
    return Status::ok();
  }

  Storage& storage_;
  const std::string base_dir_;
  const RecoveryMode mode_;
  RecoveryReport* report_;
  const DedupOptions dedup_;
  std::map<uint64_t, std::string> segments_;
  std::map<uint64_t, std::string> snapshots_;
  std::vector<std::string> removed_;
  bool ended_by_frame_ = false;
  uint64_t end_number_ = 0;
  uint64_t end_offset_ = 0;
  Recovered out_;
};

}  // namespace

Result<Recovered> recover(Storage& storage, const std::string& base_dir, RecoveryMode mode,
                          RecoveryReport* report, const DedupOptions& dedup) {
  return Recoverer(storage, base_dir, mode, report, dedup).run();
}

bool lets_go_of_records(const RecoveryReport::Event& event) {
  if (event.action == "skipped" || event.action == "dropped") return true;
  return event.action == "ignored" &&
         parse_file_name(base_name(event.path)).kind == FileKind::kSnapshot;
}

}  // namespace wal::segmented
