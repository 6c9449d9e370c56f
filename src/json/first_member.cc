#include "json/first_member.h"

#include <vector>

namespace wal {
namespace {

// Builds the first member's value from SAX events and stops the parse
// (returns false) as soon as it is complete, or when the first name differs.
class FirstMemberReader {
 public:
  explicit FirstMemberReader(std::string_view name) : name_(name) {}

  bool null() { return add(Json(nullptr)); }
  bool boolean(bool value) { return add(Json(value)); }
  bool number_integer(Json::number_integer_t value) { return add(Json(value)); }
  bool number_unsigned(Json::number_unsigned_t value) { return add(Json(value)); }
  bool number_float(Json::number_float_t value, const Json::string_t&) { return add(Json(value)); }
  bool string(Json::string_t& value) { return add(Json(std::move(value))); }
  bool binary(Json::binary_t&) { return fail("binary value"); }

  bool start_object(std::size_t) {
    if (!outer_seen_) return outer_seen_ = true;
    return open(Json::object());
  }
  bool key(Json::string_t& key) {
    if (open_.empty()) {
      if (key != name_) {
        outcome_ = Outcome::kOtherName;
        return false;
      }
      in_member_ = true;
      return true;
    }
    key_ = std::move(key);
    return true;
  }
  bool end_object() {
    if (open_.empty()) {  // the outer object ended: it had no members
      outcome_ = Outcome::kOtherName;
      return false;
    }
    return close();
  }
  bool start_array(std::size_t) {
    if (!outer_seen_) return fail("an array, not an object");
    return open(Json::array());
  }
  bool end_array() { return close(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::json::exception& e) {
    return fail("not JSON at byte " + std::to_string(position) + ": " + e.what());
  }

  enum class Outcome { kUnfinished, kFound, kOtherName, kMalformed };
  Outcome outcome() const { return outcome_; }
  Json& value() { return value_; }
  const std::string& error() const { return error_; }

 private:
  bool fail(std::string why) {
    outcome_ = Outcome::kMalformed;
    error_ = std::move(why);
    return false;
  }
  // Places a scalar, or a container just opened, where the parse stands.
  Json* place(Json value) {
    if (open_.empty()) {
      value_ = std::move(value);
      return &value_;
    }
    Json& parent = *open_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    return &(parent[key_] = std::move(value));
  }
  bool add(Json value) {
    if (!outer_seen_) return fail("a scalar, not an object");
    place(std::move(value));
    return !member_complete();
  }
  bool open(Json container) {
    open_.push_back(place(std::move(container)));
    return true;
  }
  bool close() {
    open_.pop_back();
    return !member_complete();
  }
  bool member_complete() {
    if (!in_member_ || !open_.empty()) return false;
    outcome_ = Outcome::kFound;
    return true;
  }

  const std::string_view name_;
  bool outer_seen_ = false;
  bool in_member_ = false;
  std::vector<Json*> open_;  // containers of the member's value being filled
  std::string key_;
  Json value_;
  Outcome outcome_ = Outcome::kUnfinished;
  std::string error_;
};

}  // namespace

Result<std::optional<Json>> parse_first_member(std::string_view text, std::string_view name,
                                               const std::string& where) {
  FirstMemberReader reader(name);
  static_cast<void>(Json::sax_parse(text.begin(), text.end(), &reader));
  switch (reader.outcome()) {
    case FirstMemberReader::Outcome::kFound:
      return std::optional<Json>(std::move(reader.value()));
    case FirstMemberReader::Outcome::kOtherName:
      return std::optional<Json>();
    case FirstMemberReader::Outcome::kMalformed:
      return Status::corruption(where + ": " + reader.error());
    case FirstMemberReader::Outcome::kUnfinished:
      break;
  }
  return Status::corruption(where + ": the JSON ends before the value of \"" + std::string(name) +
                            "\"");
}

}  // namespace wal
