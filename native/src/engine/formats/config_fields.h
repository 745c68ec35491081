// Reading a model's JSON config files field by field, each error naming the file and the field (what a family's
// loader refuses, and why). Shared by the families' config readers.
//
// A field left out takes its fallback; a field that is there must hold a value of its kind, and a JSON null is
// refused like any other wrong value. null is Python's None, and the libraries that write these files give None a
// meaning of its own, field by field, that is not our fallback: NeMo reads window None as no window, normalize None as
// no normalization, xscaling None as no scaling; transformers' feature extractor reads preemphasis None as none, and
// its strict config classes refuse None wherever the field is not optional. The few fields whose None means the
// fallback (transformers' num_key_value_heads) are read as such by their family.
#pragma once

#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "formats/json.h"
#include "formats/mapped_file.h"
#include "formats/tensor_file.h"
#include "tensors/quantization.h"

namespace verbatim {

class ConfigFields {
 public:
  explicit ConfigFields(std::string path) : path_(std::move(path)) {}
  [[noreturn]] void fail(const std::string& what) const { throw FormatError(path_ + ": " + what); }

  const json::Value& object(const json::Value& parent, const std::string& key, const std::string& where) const {
    const json::Value* value = parent.find(key);
    if (value == nullptr) fail("\"" + where + key + "\" is missing");
    if (!value->is_object()) fail("\"" + where + key + "\" is " + value->describe() + ", not an object");
    return *value;
  }

  int integer(const json::Value& parent, const std::string& key, const std::string& where, int min, int max,
              std::optional<int> fallback = std::nullopt) const {
    const json::Value* value = parent.find(key);
    if (value == nullptr) {
      if (fallback) return *fallback;
      fail("\"" + where + key + "\" is missing");
    }
    const auto number = value->as_int64();
    if (!number || *number < min || *number > max) {
      fail("\"" + where + key + "\" must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
           ", found " + value->describe());
    }
    return static_cast<int>(*number);
  }

  bool boolean(const json::Value& parent, const std::string& key, const std::string& where, bool fallback) const {
    const json::Value* value = parent.find(key);
    if (value == nullptr) return fallback;
    if (!value->is_bool()) fail("\"" + where + key + "\" is " + value->describe() + ", not true or false");
    return value->as_bool();
  }

  double number(const json::Value& parent, const std::string& key, const std::string& where, double fallback) const {
    const json::Value* value = parent.find(key);
    if (value == nullptr) return fallback;
    if (!value->is_number()) fail("\"" + where + key + "\" is " + value->describe() + ", not a number");
    const double parsed = std::strtod(value->number_text().c_str(), nullptr);
    if (!std::isfinite(parsed)) fail("\"" + where + key + "\" is out of range");
    return parsed;
  }

  std::string text(const json::Value& parent, const std::string& key, const std::string& where,
                   const std::string& fallback) const {
    const json::Value* value = parent.find(key);
    if (value == nullptr) return fallback;
    if (!value->is_string()) fail("\"" + where + key + "\" is " + value->describe() + ", not a string");
    return value->as_string();
  }

  // The top-level "quantize" a folder of one's own may carry (Parakeet's, Nemotron's and the speaker model's
  // configs): "8bit" or "4bit" packs float matrices at load; left out or null, the weights run as stored.
  std::optional<Quantization> packing(const json::Value& root) const {
    const json::Value* value = root.find("quantize");
    if (value == nullptr || value->is_null()) return std::nullopt;
    std::optional<Quantization> named = value->is_string() ? packing_named(value->as_string()) : std::nullopt;
    if (!named) {
      fail("\"quantize\" is " + value->describe() + "; supported: \"8bit\" or \"4bit\" (MLX affine packing at load, "
           "groups of 64), or leave it out for the weights as stored");
    }
    return named;
  }

  void expect(const json::Value& parent, const std::string& key, const std::string& where,
              const std::string& wanted) const {
    const json::Value* value = parent.find(key);
    if (value == nullptr) return;
    if (!value->is_string() || value->as_string() != wanted) {
      fail("\"" + where + key + "\" is " + value->describe() + "; only \"" + wanted + "\" is supported");
    }
  }

 private:
  std::string path_;
};

inline json::Value parse_json_file(const std::string& path, std::size_t max_bytes) {
  json::Limits limits;
  limits.max_bytes = max_bytes;
  limits.max_values = 1u << 22;
  return json::parse(read_text_file(path, max_bytes), path, limits);
}

}  // namespace verbatim
