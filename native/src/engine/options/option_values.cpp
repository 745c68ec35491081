#include "options/option_values.h"

#include <stdexcept>

namespace verbatim {

void OptionReader::boolean(const char* name, bool& out) const {
  with(name, [&](const OptionValue& v, const char* n) {
    if (v.kind != OptionValue::Kind::Boolean) {
      throw std::invalid_argument(std::string("option ") + n + " must be true or false");
    }
    out = v.boolean;
  });
}

void OptionReader::number(const char* name, double& out, double min, double max) const {
  with(name, [&](const OptionValue& v, const char* n) { out = checked_number(v, n, min, max); });
}

void OptionReader::string(const char* name, std::string& out) const {
  with(name, [&](const OptionValue& v, const char* n) {
    if (v.kind != OptionValue::Kind::String) {
      throw std::invalid_argument(std::string("option ") + n + " must be a string");
    }
    out = v.string;
  });
}

void OptionReader::optional_number(const char* name, std::optional<double>& out, double min, double max) const {
  with(name, [&](const OptionValue& v, const char* n) {
    if (v.kind == OptionValue::Kind::Null) {
      out.reset();
    } else {
      out = checked_number(v, n, min, max);
    }
  });
}

void OptionReader::token_list(const char* name, std::vector<int32_t>& out, int n_vocab) const {
  with(name, [&](const OptionValue& v, const char* n) {
    if (v.kind != OptionValue::Kind::List) {
      throw std::invalid_argument(std::string("option ") + n + " must be an array of token ids");
    }
    out.clear();
    for (const OptionValue& item : v.list) out.push_back(static_cast<int32_t>(checked_number(item, n, 0, n_vocab - 1)));
  });
}

double OptionReader::checked_number(const OptionValue& v, const char* name, double min, double max) {
  if (v.kind != OptionValue::Kind::Number) {
    throw std::invalid_argument(std::string("option ") + name + " must be a number");
  }
  const double x = v.number;
  if (!(x >= min && x <= max)) {
    throw std::invalid_argument(std::string("option ") + name + " must be between " + std::to_string(min) + " and " +
                                std::to_string(max));
  }
  return x;
}

double OptionReader::whole_number(const OptionValue& v, const char* name, double min, double max) {
  const double x = checked_number(v, name, min, max);
  if (x != static_cast<double>(static_cast<int64_t>(x))) {
    throw std::invalid_argument(std::string("option ") + name + " must be a whole number");
  }
  return x;
}

}  // namespace verbatim
