#include "seed/record_codec.h"

#include <cstdio>
#include <optional>

#include "json/python_style.h"
#include "util/crc32c.h"

namespace wal::seed {
namespace {

// `"crc32c": "0a1b2c3d"}}`: the checksum field and the two closing braces of
// "_metadata" and of the record, which always end our files. The field follows
// ", " after other "_metadata" keys, or the "{" of an otherwise empty one.
constexpr std::string_view kChecksumField = "\"crc32c\": \"";
constexpr std::string_view kSeparator = ", ";
constexpr std::string_view kClosing = "}}";
constexpr size_t kChecksumHexDigits = 8;
constexpr size_t kChecksumFieldBytes =
    kChecksumField.size() + kChecksumHexDigits + 1 + kClosing.size();

std::string hex32(uint32_t value) {
  char text[kChecksumHexDigits + 1];
  std::snprintf(text, sizeof text, "%08x", value);
  return std::string(text, kChecksumHexDigits);
}

// The CRC-32C of the file as it reads without the field: `before_field`
// (everything before it and its separator) followed by the closing braces.
uint32_t checksum_without_field(std::string_view before_field) {
  uint32_t crc = crc32c::value(before_field.data(), before_field.size());
  return crc32c::extend(crc, kClosing.data(), kClosing.size());
}

struct ChecksumField {
  std::string_view stored_hex;
  std::string_view before_field;  // the file up to the field, without the separator
};

// The well-formed checksum field that ends `contents`, if there is one.
std::optional<ChecksumField> find_checksum_field(std::string_view contents) {
  if (contents.size() < kChecksumFieldBytes + 1) return std::nullopt;
  const size_t field_start = contents.size() - kChecksumFieldBytes;
  const std::string_view field = contents.substr(field_start);
  if (field.substr(0, kChecksumField.size()) != kChecksumField) return std::nullopt;
  if (field.substr(field.size() - 1 - kClosing.size()) != "\"}}") return std::nullopt;
  ChecksumField found;
  found.stored_hex = field.substr(kChecksumField.size(), kChecksumHexDigits);
  for (char c : found.stored_hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  const std::string_view before = contents.substr(0, field_start);
  if (before.size() >= kSeparator.size() &&
      before.substr(before.size() - kSeparator.size()) == kSeparator) {
    found.before_field = before.substr(0, before.size() - kSeparator.size());
  } else if (before.back() == '{') {
    found.before_field = before;
  } else {
    return std::nullopt;
  }
  return found;
}

// `text` ends with the "}}" that close "_metadata" and the record: puts the
// checksum field before them. `crc` is the CRC-32C of `text` as it is.
void close_with_checksum(std::string& text, uint32_t crc) {
  text.resize(text.size() - kClosing.size());
  if (text.back() != '{') text += kSeparator;  // "_metadata" has other keys
  text += kChecksumField;
  text += hex32(crc);
  text += '"';
  text += kClosing;
}

// Passes a file's bytes on as they come, with its checksum running, holding
// back only the last few: the closing braces and the byte before them, which
// says whether the field follows a separator.
class ChecksummingWriter {
 public:
  // The status line is held until the JSON's first piece joins it.
  explicit ChecksummingWriter(const PieceWriter& write)
      : write_(write), held_(std::string(kCompleted) + '\n') {}

  void take(std::string_view piece) {
    held_.append(piece);
    if (held_.size() <= kHeldBytes) return;
    const std::string_view passed(held_.data(), held_.size() - kHeldBytes);
    crc_ = crc32c::extend(crc_, passed.data(), passed.size());
    write_(passed);
    written_ += passed.size();
    held_.erase(0, passed.size());
  }

  // Writes the rest, checksum field included; returns the file's size.
  size_t finish() {
    close_with_checksum(held_, crc32c::extend(crc_, held_.data(), held_.size()));
    write_(held_);
    return written_ + held_.size();
  }

 private:
  static constexpr size_t kHeldBytes = kClosing.size() + 1;
  const PieceWriter& write_;
  std::string held_;
  uint32_t crc_ = 0;
  size_t written_ = 0;
};

bool is_prefix_of(std::string_view text, std::string_view whole) {
  return text.size() <= whole.size() && whole.substr(0, text.size()) == text;
}

}  // namespace

std::string encode_completed_file(const Json& body) {
  std::string contents(kCompleted);
  contents += '\n';
  append_python_style(contents, body);
  close_with_checksum(contents, crc32c::value(contents.data(), contents.size()));
  return contents;
}

size_t write_completed_file(const Json& body, size_t piece_bytes, const PieceWriter& write) {
  ChecksummingWriter file(write);
  write_python_style(body, piece_bytes, [&file](std::string_view piece) { file.take(piece); });
  return file.finish();
}

Result<DecodedFile> decode_file(std::string_view contents, const std::string& path) {
  DecodedFile decoded;
  const size_t newline = contents.find('\n');
  if (newline == std::string_view::npos) {
    // The original truncates a file before writing it, so a crash can leave
    // it empty or with part of its status line.
    if (is_prefix_of(contents, kCompleted) || is_prefix_of(contents, kProcessing)) return decoded;
    return Status::corruption(path, 0, "no status line (expected COMPLETED or PROCESSING)");
  }
  const std::string_view status = contents.substr(0, newline);
  if (status == kProcessing) return decoded;
  if (status != kCompleted) {
    return Status::corruption(path, 0,
                              "unknown status line \"" + std::string(status.substr(0, 32)) +
                                  "\" (expected COMPLETED or PROCESSING)");
  }
  const size_t json_offset = newline + 1;
  const std::optional<ChecksumField> field = find_checksum_field(contents);
  decoded.checksummed = field.has_value();
  if (field) {
    const uint32_t computed = checksum_without_field(field->before_field);
    if (hex32(computed) != field->stored_hex) {
      return Status::corruption(path, json_offset,
                                "crc32c mismatch: the file says " + std::string(field->stored_hex) +
                                    ", its contents give " + hex32(computed));
    }
  }
  auto parsed = parse_json(contents.substr(json_offset), "the record after the status line");
  if (!parsed.is_ok()) {
    return Status::corruption(path, json_offset, parsed.status().message());
  }
  decoded.body = std::move(parsed).value();
  if (!decoded.body.is_object()) {
    return Status::corruption(path, json_offset, "the record is not a JSON object");
  }
  auto metadata = decoded.body.find("_metadata");
  if (metadata != decoded.body.end()) {
    if (!metadata->is_object()) {
      return Status::corruption(path, json_offset, "\"_metadata\" is not a JSON object");
    }
    if (metadata->contains("crc32c") != decoded.checksummed) {
      return Status::corruption(
          path, json_offset, "the \"crc32c\" field is not where wal writes it (end of the file)");
    }
    metadata->erase("crc32c");
  } else if (decoded.checksummed) {
    return Status::corruption(path, json_offset, "a crc32c field outside \"_metadata\"");
  }
  decoded.state = DecodedFile::State::kCompleted;
  return decoded;
}

}  // namespace wal::seed
