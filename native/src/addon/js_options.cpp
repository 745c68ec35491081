#include "js_options.h"

#include <stdexcept>
#include <string>

#include "tensors/quantization.h"

namespace verbatim::addon {
namespace {

OptionValue option_value(const Napi::Value& v) {
  if (v.IsUndefined()) return {};
  if (v.IsNull()) return OptionValue::null();
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value();
  if (v.IsNumber()) return v.As<Napi::Number>().DoubleValue();
  if (v.IsString()) return v.As<Napi::String>().Utf8Value();
  if (v.IsArray()) {
    Napi::Array array = v.As<Napi::Array>();
    std::vector<OptionValue> items;
    for (uint32_t i = 0; i < array.Length(); ++i) items.push_back(option_value(array.Get(i)));
    return items;
  }
  return OptionValue::other();
}

}  // namespace

OptionValues option_values(const Napi::Value& value) {
  OptionValues values;
  if (value.IsUndefined() || value.IsNull()) return values;
  if (!value.IsObject()) throw std::invalid_argument("options must be an object");
  Napi::Object object = value.As<Napi::Object>();
  Napi::Array names = object.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); ++i) {
    const std::string name = names.Get(i).ToString().Utf8Value();
    Napi::Value item = object.Get(name);
    if (!item.IsUndefined()) values.emplace(name, option_value(item));
  }
  return values;
}

EngineOptions read_engine_options(const Napi::Value& value) {
  const OptionValues values = option_values(value);
  const OptionReader reader(values);
  EngineOptions options;
  std::string backend = "auto";
  reader.string("backend", backend);
  options.backend = parse_backend_choice(backend);
  reader.integer("threads", options.threads, 0, 256);
  constexpr double kMaxBytes = 9007199254740991.0;  // 2^53 - 1: the largest whole number a JS number holds exactly
  reader.integer("mlxCacheLimitBytes", options.mlx_cache_limit_bytes, 0, kMaxBytes);
  reader.integer("mlxWiredLimitBytes", options.mlx_wired_limit_bytes, 0, kMaxBytes);
  reader.with("quantize", [&](const OptionValue& v, const char* n) {
    if (v.kind == OptionValue::Kind::String) options.quantize = packing_named(v.string);
    if (!options.quantize) throw std::invalid_argument(std::string("option ") + n + " must be \"8bit\" or \"4bit\"");
  });
  return options;
}

}  // namespace verbatim::addon
