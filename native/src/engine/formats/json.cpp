#include "formats/json.h"

#include <set>

#include "formats/tensor_file.h"

namespace verbatim {
namespace json {

namespace {

std::optional<uint64_t> parse_unsigned_digits(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

void append_utf8(std::string& out, uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

}  // namespace

std::optional<uint64_t> Value::as_uint64() const {
  if (kind_ != Kind::Number) return std::nullopt;
  return parse_unsigned_digits(text_);  // rejects '-', '.', 'e'
}

std::optional<int64_t> Value::as_int64() const {
  if (kind_ != Kind::Number) return std::nullopt;
  const bool negative = !text_.empty() && text_[0] == '-';
  const auto magnitude = parse_unsigned_digits(std::string_view(text_).substr(negative ? 1 : 0));
  if (!magnitude) return std::nullopt;
  if (!negative) {
    if (*magnitude > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(*magnitude);
  }
  if (*magnitude == static_cast<uint64_t>(INT64_MAX) + 1) return INT64_MIN;
  if (*magnitude > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return -static_cast<int64_t>(*magnitude);
}

const Value* Value::find(std::string_view key) const {
  for (const auto& member : members_) {
    if (member.first == key) return &member.second;
  }
  return nullptr;
}

std::string Value::describe() const {
  switch (kind_) {
    case Kind::Null: return "null";
    case Kind::Bool: return boolean_ ? "true" : "false";
    case Kind::Number: return text_;
    case Kind::String: return text_.size() <= 40 ? "\"" + text_ + "\"" : "\"" + text_.substr(0, 40) + "...\"";
    case Kind::Array: return "an array";
    case Kind::Object: return "an object";
  }
  return "?";
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& source, const Limits& limits)
      : text_(text), source_(source), limits_(limits) {}

  Value parse_document() {
    if (text_.size() > limits_.max_bytes) {
      throw FormatError(source_ + ": " + std::to_string(text_.size()) + " bytes of JSON, more than the limit of " +
                        std::to_string(limits_.max_bytes));
    }
    skip_whitespace();
    Value value = parse_value(0);
    skip_whitespace();
    if (pos_ != text_.size()) fail("unexpected " + describe_here() + " after the JSON value");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { fail_at(pos_, what); }

  [[noreturn]] void fail_at(std::size_t position, const std::string& what) const {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < position && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw FormatError(source_ + ": invalid JSON at byte " + std::to_string(position) + " (line " +
                      std::to_string(line) + ", column " + std::to_string(column) + "): " + what);
  }

  std::string describe_here() const {
    if (pos_ >= text_.size()) return "end of input";
    const auto byte = static_cast<unsigned char>(text_[pos_]);
    if (byte >= 0x20 && byte < 0x7F) return std::string("'") + static_cast<char>(byte) + "'";
    static const char* hex = "0123456789abcdef";
    return std::string("byte 0x") + hex[byte >> 4] + hex[byte & 15];
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  void skip_whitespace() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
  }

  void expect(char c, const char* context) {
    if (at_end() || peek() != c) fail(std::string("expected '") + c + "' " + context + ", found " + describe_here());
    ++pos_;
  }

  void count_value() {
    if (++values_ > limits_.max_values) {
      fail("more than " + std::to_string(limits_.max_values) + " values");
    }
  }

  Value parse_value(int depth) {
    if (at_end()) fail("expected a value, found end of input");
    count_value();
    switch (peek()) {
      case '{': return parse_object(depth + 1);
      case '[': return parse_array(depth + 1);
      case '"': {
        Value value;
        value.kind_ = Value::Kind::String;
        value.text_ = parse_string();
        return value;
      }
      case 't': return parse_literal("true", Value::Kind::Bool, true);
      case 'f': return parse_literal("false", Value::Kind::Bool, false);
      case 'n': return parse_literal("null", Value::Kind::Null, false);
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return parse_number();
        fail("expected a value, found " + describe_here());
    }
  }

  Value parse_literal(std::string_view word, Value::Kind kind, bool boolean) {
    if (text_.substr(pos_, word.size()) != word) fail("expected a value, found " + describe_here());
    pos_ += word.size();
    Value value;
    value.kind_ = kind;
    value.boolean_ = boolean;
    return value;
  }

  void check_depth(int depth) {
    if (depth > limits_.max_depth) fail("nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
  }

  Value parse_object(int depth) {
    check_depth(depth);
    ++pos_;  // '{'
    Value value;
    value.kind_ = Value::Kind::Object;
    std::set<std::string> keys;
    skip_whitespace();
    if (!at_end() && peek() == '}') {
      ++pos_;
      return value;
    }
    while (true) {
      skip_whitespace();
      const std::size_t key_position = pos_;
      if (at_end() || peek() != '"') fail("expected a string key, found " + describe_here());
      std::string key = parse_string();
      if (!keys.insert(key).second) fail_at(key_position, "duplicate key \"" + key + "\"");
      skip_whitespace();
      expect(':', "after an object key");
      skip_whitespace();
      Value member = parse_value(depth);
      value.members_.emplace_back(std::move(key), std::move(member));
      skip_whitespace();
      if (!at_end() && peek() == ',') {
        ++pos_;
        continue;
      }
      expect('}', "or ',' in an object");
      return value;
    }
  }

  Value parse_array(int depth) {
    check_depth(depth);
    ++pos_;  // '['
    Value value;
    value.kind_ = Value::Kind::Array;
    skip_whitespace();
    if (!at_end() && peek() == ']') {
      ++pos_;
      return value;
    }
    while (true) {
      skip_whitespace();
      value.items_.push_back(parse_value(depth));
      skip_whitespace();
      if (!at_end() && peek() == ',') {
        ++pos_;
        continue;
      }
      expect(']', "or ',' in an array");
      return value;
    }
  }

  Value parse_number() {
    const std::size_t start = pos_;
    if (peek() == '-') ++pos_;
    if (at_end() || peek() < '0' || peek() > '9') fail("expected a digit, found " + describe_here());
    if (peek() == '0') {
      ++pos_;
      if (!at_end() && peek() >= '0' && peek() <= '9') fail("numbers must not have leading zeros");
    } else {
      skip_digits();
    }
    if (!at_end() && peek() == '.') {
      ++pos_;
      if (at_end() || peek() < '0' || peek() > '9') fail("expected a digit after '.', found " + describe_here());
      skip_digits();
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      ++pos_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
      if (at_end() || peek() < '0' || peek() > '9') fail("expected a digit in the exponent, found " + describe_here());
      skip_digits();
    }
    Value value;
    value.kind_ = Value::Kind::Number;
    value.text_ = std::string(text_.substr(start, pos_ - start));
    return value;
  }

  void skip_digits() {
    while (!at_end() && peek() >= '0' && peek() <= '9') ++pos_;
  }

  uint32_t parse_hex4() {
    if (text_.size() - pos_ < 4) {
      pos_ = text_.size();
      fail("expected 4 hex digits after \\u, found end of input");
    }
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = peek();
      uint32_t digit;
      if (c >= '0' && c <= '9') {
        digit = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        fail("expected a hex digit in a \\u escape, found " + describe_here());
      }
      value = value * 16 + digit;
      ++pos_;
    }
    return value;
  }

  uint32_t parse_unicode_escape() {  // after "\u"
    const std::size_t start = pos_ - 2;
    const uint32_t unit = parse_hex4();
    if (unit >= 0xDC00 && unit <= 0xDFFF) fail_at(start, "unpaired low surrogate in a \\u escape");
    if (unit < 0xD800 || unit > 0xDBFF) return unit;
    if (text_.substr(pos_, 2) != "\\u") fail_at(start, "unpaired high surrogate in a \\u escape");
    pos_ += 2;
    const uint32_t low = parse_hex4();
    if (low < 0xDC00 || low > 0xDFFF) fail_at(start, "unpaired high surrogate in a \\u escape");
    return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
  }

  // Copies one UTF-8 encoded character starting at pos_, rejecting overlong forms, surrogates and values
  // past U+10FFFF.
  void copy_utf8_character(std::string& out) {
    const auto lead = static_cast<unsigned char>(peek());
    int continuation;
    uint32_t code_point;
    uint32_t minimum;
    if (lead >= 0xC2 && lead <= 0xDF) {
      continuation = 1, code_point = lead & 0x1Fu, minimum = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      continuation = 2, code_point = lead & 0x0Fu, minimum = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      continuation = 3, code_point = lead & 0x07u, minimum = 0x10000;
    } else {
      fail("invalid UTF-8 in a string");
    }
    const std::size_t start = pos_;
    for (int i = 1; i <= continuation; ++i) {
      if (start + static_cast<std::size_t>(i) >= text_.size()) fail_at(start, "truncated UTF-8 in a string");
      const auto byte = static_cast<unsigned char>(text_[start + static_cast<std::size_t>(i)]);
      if ((byte & 0xC0) != 0x80) fail_at(start, "invalid UTF-8 in a string");
      code_point = (code_point << 6) | (byte & 0x3Fu);
    }
    if (code_point < minimum || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      fail_at(start, "invalid UTF-8 in a string");
    }
    out.append(text_.substr(start, static_cast<std::size_t>(continuation) + 1));
    pos_ = start + static_cast<std::size_t>(continuation) + 1;
  }

  std::string parse_string() {
    const std::size_t start = pos_;
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (at_end()) fail_at(start, "unterminated string");
      const auto c = static_cast<unsigned char>(peek());
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("control character in a string (escape it)");
      if (c >= 0x80) {
        copy_utf8_character(out);
        continue;
      }
      ++pos_;
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      if (at_end()) fail_at(start, "unterminated string");
      const char escape = peek();
      ++pos_;
      switch (escape) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': append_utf8(out, parse_unicode_escape()); break;
        default:
          --pos_;
          fail_at(pos_ - 1, "invalid escape: backslash followed by " + describe_here());
      }
    }
  }

  std::string_view text_;
  const std::string& source_;
  const Limits& limits_;
  std::size_t pos_ = 0;
  std::size_t values_ = 0;
};

Value parse(std::string_view text, const std::string& source, const Limits& limits) {
  return Parser(text, source, limits).parse_document();
}

}  // namespace json
}  // namespace verbatim
