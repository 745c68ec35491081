// A small strict JSON (RFC 8259) parser for config.json and safetensors headers.
// Strict: no comments, trailing commas, NaN, leading zeros, unpaired surrogates, invalid UTF-8 or duplicate
// keys. Limits on input size, nesting depth and value count keep hostile input from exhausting memory or stack.
// Errors throw FormatError "<source>: invalid JSON at byte B (line L, column C): <what>".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace verbatim {
namespace json {

struct Limits {
  std::size_t max_bytes = 100u << 20;
  int max_depth = 64;
  std::size_t max_values = 1u << 20;
};

class Value {
 public:
  enum class Kind { Null, Bool, Number, String, Array, Object };

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_number() const { return kind_ == Kind::Number; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_array() const { return kind_ == Kind::Array; }
  bool is_object() const { return kind_ == Kind::Object; }

  bool as_bool() const { return boolean_; }            // Bool only
  const std::string& as_string() const { return text_; }  // String: the decoded UTF-8 text
  const std::string& number_text() const { return text_; }  // Number: the literal as written
  // Number: its value when the literal is an integer (no fraction or exponent) that fits; nullopt otherwise.
  std::optional<int64_t> as_int64() const;
  std::optional<uint64_t> as_uint64() const;

  const std::vector<Value>& items() const { return items_; }  // Array
  const std::vector<std::pair<std::string, Value>>& members() const { return members_; }  // Object, in order
  const Value* find(std::string_view key) const;  // Object: the member's value, nullptr when absent

  // A short description for error messages: `"text"`, `12`, `true`, `null`, `an array`, `an object`.
  std::string describe() const;

 private:
  friend class Parser;
  Kind kind_ = Kind::Null;
  bool boolean_ = false;
  std::string text_;
  std::vector<Value> items_;
  std::vector<std::pair<std::string, Value>> members_;
};

// Parses one JSON value filling all of `text` (surrounding whitespace allowed). `source` names the text in
// error messages (e.g. "models/tiny/config.json").
Value parse(std::string_view text, const std::string& source, const Limits& limits = Limits());

}  // namespace json
}  // namespace verbatim
