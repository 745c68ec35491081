// A job's options as its caller gave them (the addon's JS objects, native/lib/types.ts), before any family reads
// them: each family reads its own (its NAME_options.h) with an OptionReader, whose errors name the option and say what
// it must be (std::invalid_argument).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace verbatim {

// One value: null, a boolean, a number, a string, a list of values, or something else (an object, a typed array);
// Undefined only inside a list (a hole), as an absent option is simply not in OptionValues.
struct OptionValue {
  enum class Kind { Undefined, Null, Boolean, Number, String, List, Other };
  Kind kind = Kind::Undefined;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<OptionValue> list;

  OptionValue() = default;
  OptionValue(bool value) : kind(Kind::Boolean), boolean(value) {}
  OptionValue(double value) : kind(Kind::Number), number(value) {}
  OptionValue(int value) : kind(Kind::Number), number(value) {}
  OptionValue(const char* value) : kind(Kind::String), string(value) {}
  OptionValue(std::string value) : kind(Kind::String), string(std::move(value)) {}
  OptionValue(std::vector<OptionValue> values) : kind(Kind::List), list(std::move(values)) {}
  static OptionValue null() { return of(Kind::Null); }
  static OptionValue other() { return of(Kind::Other); }

 private:
  static OptionValue of(Kind kind) {
    OptionValue value;
    value.kind = kind;
    return value;
  }
};

// The options by name; a name absent is an option not given.
using OptionValues = std::map<std::string, OptionValue>;

// Typed reading that leaves `out` as it is (the default) for an option not given.
class OptionReader {
 public:
  explicit OptionReader(const OptionValues& values) : values_(values) {}

  bool has(const char* name) const { return values_.count(name) != 0; }

  // Calls read(value, name) when the option is given.
  template <class Read>
  void with(const char* name, Read read) const {
    const auto found = values_.find(name);
    if (found != values_.end()) read(found->second, name);
  }

  void boolean(const char* name, bool& out) const;
  void number(const char* name, double& out, double min, double max) const;
  void string(const char* name, std::string& out) const;
  // A number, or null to switch the rule off.
  void optional_number(const char* name, std::optional<double>& out, double min, double max) const;
  // A list of token ids in [0, n_vocab).
  void token_list(const char* name, std::vector<int32_t>& out, int n_vocab) const;

  template <class Int>
  void integer(const char* name, Int& out, double min, double max) const {
    with(name, [&](const OptionValue& v, const char* n) { out = static_cast<Int>(whole_number(v, n, min, max)); });
  }

  // A whole number when given; `out` stays empty when it is not.
  template <class Int>
  void integer(const char* name, std::optional<Int>& out, double min, double max) const {
    with(name, [&](const OptionValue& v, const char* n) { out = static_cast<Int>(whole_number(v, n, min, max)); });
  }

  // `v` as a number in [min, max]; std::invalid_argument naming the option otherwise.
  static double checked_number(const OptionValue& v, const char* name, double min, double max);

 private:
  static double whole_number(const OptionValue& v, const char* name, double min, double max);

  const OptionValues& values_;
};

}  // namespace verbatim
