// dump_python_style() and parse_json(): see wal/json.h.

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "wal/json.h"

#include "json/fast_parse.h"
#include "json/python_style.h"
#include "util/small_stack.h"
#include "util/utf8.h"

namespace wal {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Collects the text in a small buffer and hands it to the string in pieces:
// a document is written a character or two at a time, and each append to a
// std::string is a call (libstdc++ does not inline them).
class TextSink {
 public:
  explicit TextSink(std::string& out) : out_(out) {}
  // Streaming: each time `out` holds `piece_bytes`, they go to `write` and
  // `out` is emptied, so the text is never held whole.
  TextSink(std::string& out, size_t piece_bytes, const PieceWriter& write)
      : out_(out), piece_bytes_(piece_bytes), write_(&write) {}
  TextSink(const TextSink&) = delete;
  TextSink& operator=(const TextSink&) = delete;

  TextSink& operator+=(char c) {
    if (used_ == kBufferBytes) flush();
    buffer_[used_++] = c;
    return *this;
  }
  TextSink& operator+=(std::string_view text) {
    append(text.data(), text.size());
    return *this;
  }
  void append(const char* data, size_t size) {
    if (size > kBufferBytes - used_) {
      flush();
      if (size > kBufferBytes) {
        append_to_out(data, size);
        return;
      }
    }
    std::memcpy(buffer_ + used_, data, size);
    used_ += size;
  }
  void append(const char* begin, const char* end) {
    append(begin, static_cast<size_t>(end - begin));
  }
  void append(size_t count, char c) {
    for (size_t i = 0; i < count; ++i) *this += c;
  }
  // Called once the document is written: what is still buffered goes out.
  void flush() {
    append_to_out(buffer_, used_);
    used_ = 0;
  }

 private:
  void append_to_out(const char* data, size_t size) {
    while (write_ != nullptr && out_.size() + size >= piece_bytes_) {
      const size_t taken = piece_bytes_ - out_.size();
      out_.append(data, taken);
      data += taken;
      size -= taken;
      (*write_)(out_);
      out_.clear();
    }
    out_.append(data, size);
  }

  static constexpr size_t kBufferBytes = 256;
  std::string& out_;
  const size_t piece_bytes_ = 0;
  const PieceWriter* const write_ = nullptr;
  char buffer_[kBufferBytes];
  size_t used_ = 0;
};

void append_u_escape(TextSink& out, uint32_t unit) {
  const char escape[6] = {'\\',
                          'u',
                          kHexDigits[(unit >> 12) & 0xF],
                          kHexDigits[(unit >> 8) & 0xF],
                          kHexDigits[(unit >> 4) & 0xF],
                          kHexDigits[unit & 0xF]};
  out.append(escape, sizeof escape);
}

// Printable ASCII other than '"' and '\\' goes out as is.
constexpr bool is_plain_ascii(unsigned char c) {
  return c >= 0x20 && c <= 0x7E && c != '"' && c != '\\';
}

// is_plain_ascii for eight bytes at once (the bit tricks of Anderson's "Bit
// Twiddling Hacks"; each answers exactly whether any byte matches).
constexpr uint64_t kEachByte = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

constexpr bool has_zero_byte(uint64_t word) {
  return ((word - kEachByte) & ~word & kHighBits) != 0;
}

constexpr bool has_byte(uint64_t word, unsigned char c) {
  return has_zero_byte(word ^ (kEachByte * c));
}

constexpr bool all_plain_ascii(uint64_t word) {
  if ((word & kHighBits) != 0) return false;  // a byte of 0x80 or more
  // Every byte is below 0x80 here, so this is exact: a byte below 0x20.
  if (((word - kEachByte * 0x20) & ~word & kHighBits) != 0) return false;
  return !has_byte(word, 0x7F) && !has_byte(word, '"') && !has_byte(word, '\\');
}

// The end of the run of plain characters that starts at `i`.
size_t plain_run_end(const unsigned char* bytes, size_t i, size_t n) {
#if defined(__SSE2__)
  // Sixteen bytes at a time (SSE2 is part of x86-64). Compared as signed
  // bytes, those of 0x80 and above are negative, so "below 0x20" finds them
  // as well as the controls.
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i del = _mm_set1_epi8(0x7F);
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  for (; i + sizeof(__m128i) <= n; i += sizeof(__m128i)) {
    const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + i));
    const __m128i special =
        _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(chunk, space), _mm_cmpeq_epi8(chunk, del)),
                     _mm_or_si128(_mm_cmpeq_epi8(chunk, quote), _mm_cmpeq_epi8(chunk, backslash)));
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(special));
    if (mask != 0) return i + static_cast<size_t>(std::countr_zero(mask));
  }
#endif
  for (uint64_t word; i + sizeof word <= n; i += sizeof word) {
    std::memcpy(&word, bytes + i, sizeof word);
    if (!all_plain_ascii(word)) break;
  }
  while (i < n && is_plain_ascii(bytes[i])) ++i;
  return i;
}

// Python's json encoder with ensure_ascii=True (py_encode_basestring_ascii).
// Python strings cannot hold invalid UTF-8, so there is no behaviour to copy:
// we replace each byte that does not start a well-formed sequence with
// \ufffd (one per byte, unlike Python's bytes.decode(errors="replace"), which
// replaces a truncated multi-byte sequence as a whole) rather than fail.
void append_string(TextSink& out, std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  out += '"';
  size_t i = 0;
  while (i < n) {
    // Copy runs of plain characters in one append: most text is all plain.
    const size_t run_end = plain_run_end(bytes, i, n);
    out.append(text.data() + i, run_end - i);
    i = run_end;
    if (i == n) break;

    const unsigned char c = bytes[i];
    if (c < 0x80) {
      ++i;
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          append_u_escape(out, c);
          break;  // other controls and DEL
      }
      continue;
    }
    uint32_t code_point = 0;
    const size_t length = utf8::decode_utf8(bytes + i, n - i, &code_point);
    if (length == 0) {
      append_u_escape(out, 0xFFFD);
      ++i;
      continue;
    }
    i += length;
    if (code_point >= 0x10000) {
      code_point -= 0x10000;
      append_u_escape(out, 0xD800 | (code_point >> 10));
      append_u_escape(out, 0xDC00 | (code_point & 0x3FF));
    } else {
      append_u_escape(out, code_point);
    }
  }
  out += '"';
}

template <typename Integer>
void append_integer(TextSink& out, Integer value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

// Python's float.__repr__ (format code 'r'): the shortest digits that round
// trip, in exponent form when decpt <= -4 or decpt > 16, otherwise in fixed
// form with at least one digit after the point.
void append_double(TextSink& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value < 0 ? "-Infinity" : "Infinity";
    return;
  }
  // Shortest round-trip digits, as "[-]d[.ddd]e(+|-)xx".
  char buffer[40];
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  const std::string_view scientific(buffer, result.ptr - buffer);
  size_t pos = 0;
  if (scientific[0] == '-') {
    out += '-';
    pos = 1;
  }
  const size_t e = scientific.find('e');
  char digits[20];
  size_t digit_count = 0;
  for (size_t i = pos; i < e; ++i) {
    if (scientific[i] != '.') digits[digit_count++] = scientific[i];
  }
  int exponent = 0;
  for (size_t i = e + 2; i < scientific.size(); ++i)
    exponent = exponent * 10 + (scientific[i] - '0');
  if (scientific[e + 1] == '-') exponent = -exponent;

  const int decpt = exponent + 1;  // digits "123" with decpt 1 read 1.23
  if (decpt <= -4 || decpt > 16) {
    out += digits[0];
    if (digit_count > 1) {
      out += '.';
      out.append(digits + 1, digit_count - 1);
    }
    out += 'e';
    out += exponent < 0 ? '-' : '+';
    const int magnitude = exponent < 0 ? -exponent : exponent;
    if (magnitude < 10) out += '0';
    append_integer(out, magnitude);
  } else if (decpt <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-decpt), '0');
    out.append(digits, digit_count);
  } else if (static_cast<size_t>(decpt) >= digit_count) {
    out.append(digits, digit_count);
    out.append(static_cast<size_t>(decpt) - digit_count, '0');
    out += ".0";
  } else {
    out.append(digits, decpt);
    out += '.';
    out.append(digits + decpt, digit_count - decpt);
  }
}

// Writes a scalar, or the opening bracket of a container. Returns true when
// `value` is a non-empty container whose members must follow.
bool append_scalar_or_open(TextSink& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      if (value.empty()) {
        out += "{}";
        return false;
      }
      out += '{';
      return true;
    case Json::value_t::array:
      if (value.empty()) {
        out += "[]";
        return false;
      }
      out += '[';
      return true;
    case Json::value_t::string:
      append_string(out, value.get_ref<const Json::string_t&>());
      return false;
    case Json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return false;
    case Json::value_t::number_integer:
      append_integer(out, value.get<Json::number_integer_t>());
      return false;
    case Json::value_t::number_unsigned:
      append_integer(out, value.get<Json::number_unsigned_t>());
      return false;
    case Json::value_t::number_float:
      append_double(out, value.get<Json::number_float_t>());
      return false;
    case Json::value_t::binary: {
      // Python has no such value; spell it as nlohmann's dump() does.
      const auto& binary = value.get_binary();
      out += "{\"bytes\": [";
      for (size_t i = 0; i < binary.size(); ++i) {
        if (i > 0) out += ", ";
        append_integer(out, static_cast<unsigned>(binary[i]));
      }
      out += "], \"subtype\": ";
      if (binary.has_subtype()) {
        append_integer(out, binary.subtype());
      } else {
        out += "null";
      }
      out += '}';
      return false;
    }
    case Json::value_t::discarded:
      out += "<discarded>";  // as nlohmann's dump(); never produced by parse_json
      return false;
    case Json::value_t::null:
      break;
  }
  out += "null";
  return false;
}

// Keeps at most `limit` bytes of an error text, cut at a UTF-8 boundary: the
// "last read" part of nlohmann's messages can quote a whole long string.
std::string shorten(std::string text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  text += "...";
  return text;
}

// nlohmann's what() reads "[json.exception.parse_error.101] parse error at
// line 1, column 5: <reason>"; we report the byte offset instead, so keep
// only the reason.
std::string reason_of(const std::string& what) {
  std::string_view reason = what;
  if (!reason.empty() && reason[0] == '[') {
    const size_t close = reason.find("] ");
    if (close != std::string_view::npos) reason.remove_prefix(close + 2);
  }
  constexpr std::string_view kParseError = "parse error";
  if (reason.substr(0, kParseError.size()) == kParseError) {
    const size_t colon = reason.find(": ");
    if (colon != std::string_view::npos) reason.remove_prefix(colon + 2);
  }
  return shorten(std::string(reason), 240);
}

// A SAX consumer that builds nothing and keeps the first error. Used only
// after a failed parse, to learn where and why it failed without exceptions.
class ErrorCollector final : public Json::json_sax_t {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const Json::exception& error) override {
    if (!failed_) {
      failed_ = true;
      position_ = position;
      reason_ = reason_of(error.what());
    }
    return false;
  }

  bool failed() const { return failed_; }
  std::size_t position() const { return position_; }
  const std::string& reason() const { return reason_; }

 private:
  bool failed_ = false;
  std::size_t position_ = 0;
  std::string reason_;
};

void append_to_sink(TextSink& out, const Json& value) {
  // An explicit stack instead of recursion: a deeply nested document from
  // outside must not overflow the call stack.
  struct Frame {
    const Json* container;
    size_t next;  // index of the next member to write
  };
  SmallStack<Frame, 64> stack;
  const Json* current = &value;
  while (true) {
    if (append_scalar_or_open(out, *current)) stack.push({current, 0});
    current = nullptr;
    while (current == nullptr && !stack.empty()) {
      Frame& frame = stack.back();
      if (frame.container->is_object()) {
        const auto& members = frame.container->get_ref<const Json::object_t&>();
        if (frame.next == members.size()) {
          out += '}';
          stack.pop();
          continue;
        }
        if (frame.next > 0) out += ", ";
        const auto& member = *(members.begin() + frame.next++);
        append_string(out, member.first);
        out += ": ";
        current = &member.second;
      } else {
        const auto& elements = frame.container->get_ref<const Json::array_t&>();
        if (frame.next == elements.size()) {
          out += ']';
          stack.pop();
          continue;
        }
        if (frame.next > 0) out += ", ";
        current = &elements[frame.next++];
      }
    }
    if (current == nullptr) break;
  }
  out.flush();
}

}  // namespace

void append_python_style(std::string& text, const Json& value) {
  TextSink out(text);
  append_to_sink(out, value);
}

void write_python_style(const Json& value, size_t piece_bytes, const PieceWriter& write) {
  std::string piece;
  piece.reserve(piece_bytes);
  TextSink out(piece, std::max<size_t>(piece_bytes, 1), write);
  append_to_sink(out, value);
  if (!piece.empty()) write(piece);
}

std::string dump_python_style(const Json& value) {
  std::string out;
  append_python_style(out, value);
  return out;
}

Result<Json> parse_json(std::string_view text, const std::string& what) {
  if (std::optional<Json> fast = parse_json_fast(text)) return std::move(*fast);
  // Duplicate keys: ordered_json keeps the first key's position and the last
  // value, as a Python dict does. Trailing text after the document is an error.
  Json value = Json::parse(text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (!value.is_discarded()) return value;

  // Parse again to learn the position: the DOM parser without exceptions
  // drops it. The position is nlohmann's 1-based index of the byte where
  // parsing stopped (size + 1 for an unexpected end of input).
  ErrorCollector collector;
  static_cast<void>(Json::sax_parse(text, &collector));
  if (!collector.failed()) {
    return Status::invalid_argument(what + ": invalid JSON");  // not expected to happen
  }
  return Status::invalid_argument(what + ": invalid JSON at byte " +
                                  std::to_string(collector.position()) + ": " + collector.reason());
}

}  // namespace wal
