#include "seed/record_codec.h"

#include <cstdio>

#include "util/crc32c.h"

namespace wal::seed {
namespace {

// `, "crc32c": "0a1b2c3d"}}`: the checksum field and the two closing braces
// of "_metadata" and of the record, which always end our files.
constexpr std::string_view kChecksumOpen = ", \"crc32c\": \"";
constexpr std::string_view kClosing = "}}";
constexpr size_t kChecksumHexDigits = 8;
constexpr size_t kChecksumSuffixBytes =
    kChecksumOpen.size() + kChecksumHexDigits + 1 + kClosing.size();

std::string hex32(uint32_t value) {
  char text[kChecksumHexDigits + 1];
  std::snprintf(text, sizeof text, "%08x", value);
  return std::string(text, kChecksumHexDigits);
}

uint32_t checksum_without_field(std::string_view contents_before_field) {
  uint32_t crc = crc32c::value(contents_before_field.data(), contents_before_field.size());
  return crc32c::extend(crc, kClosing.data(), kClosing.size());
}

// True when `contents` ends with a well-formed checksum field; stores its text.
bool find_checksum_field(std::string_view contents, std::string_view* stored_hex) {
  if (contents.size() < kChecksumSuffixBytes) return false;
  const std::string_view suffix = contents.substr(contents.size() - kChecksumSuffixBytes);
  if (suffix.substr(0, kChecksumOpen.size()) != kChecksumOpen) return false;
  if (suffix.substr(suffix.size() - 1 - kClosing.size()) != "\"}}") return false;
  *stored_hex = suffix.substr(kChecksumOpen.size(), kChecksumHexDigits);
  for (char c : *stored_hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_prefix_of(std::string_view text, std::string_view whole) {
  return text.size() <= whole.size() && whole.substr(0, text.size()) == text;
}

}  // namespace

std::string encode_completed_file(const Json& body) {
  std::string contents(kCompleted);
  contents += '\n';
  contents += dump_python_style(body);
  // The record ends with the "}}" that closes "_metadata" and the record.
  const uint32_t crc = crc32c::value(contents.data(), contents.size());
  contents.resize(contents.size() - kClosing.size());
  contents += kChecksumOpen;
  contents += hex32(crc);
  contents += '"';
  contents += kClosing;
  return contents;
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
  std::string_view stored_hex;
  decoded.checksummed = find_checksum_field(contents, &stored_hex);
  if (decoded.checksummed) {
    const uint32_t computed =
        checksum_without_field(contents.substr(0, contents.size() - kChecksumSuffixBytes));
    if (hex32(computed) != stored_hex) {
      return Status::corruption(path, json_offset,
                                "crc32c mismatch: the file says " + std::string(stored_hex) +
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
