// safetensors: an 8-byte little-endian header length, a JSON header
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}, then the data
// region that the offsets index. https://github.com/huggingface/safetensors
#include <algorithm>
#include <string_view>

#include "formats/byte_reading.h"
#include "formats/json.h"
#include "formats/tensor_formats.h"

namespace verbatim {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100u << 20;  // the reference implementation's limit

bool dtype_from_name(const std::string& name, DType* dtype) {
  static const struct {
    const char* name;
    DType dtype;
  } kNames[] = {{"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16}, {"F64", DType::F64},
                {"U8", DType::U8},   {"I8", DType::I8},   {"U16", DType::U16},   {"I16", DType::I16},
                {"U32", DType::U32}, {"I32", DType::I32}, {"U64", DType::U64},   {"I64", DType::I64},
                {"BOOL", DType::Bool}};
  for (const auto& entry : kNames) {
    if (name == entry.name) {
      *dtype = entry.dtype;
      return true;
    }
  }
  return false;
}

struct ByteRange {
  uint64_t begin, end;
  const std::string* tensor;
};

class HeaderReader {
 public:
  HeaderReader(const std::string& name, const uint8_t* data, uint64_t data_size, uint64_t data_start,
               uint64_t file_size)
      : name_(name), data_(data), data_size_(data_size), data_start_(data_start), file_size_(file_size) {}

  ParsedTensors read(const json::Value& header) {
    if (!header.is_object()) fail("the header is " + header.describe() + ", not a JSON object");
    ParsedTensors parsed;
    std::vector<ByteRange> ranges;
    for (const auto& [key, value] : header.members()) {
      if (key == "__metadata__") {
        parsed.metadata = read_metadata(value);
        continue;
      }
      TensorView view = read_tensor(key, value, &ranges);
      parsed.tensors.emplace(key, std::move(view));
    }
    check_no_overlap(&ranges);
    return parsed;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw FormatError(name_ + ": " + what); }
  [[noreturn]] void fail_tensor(const std::string& tensor, const std::string& what) const {
    fail("tensor \"" + tensor + "\": " + what);
  }

  std::map<std::string, std::string> read_metadata(const json::Value& value) const {
    if (!value.is_object()) fail("\"__metadata__\" is " + value.describe() + ", not an object of strings");
    std::map<std::string, std::string> metadata;
    for (const auto& [key, entry] : value.members()) {
      if (!entry.is_string()) {
        fail("\"__metadata__\" entry \"" + key + "\" is " + entry.describe() + ", not a string");
      }
      metadata.emplace(key, entry.as_string());
    }
    return metadata;
  }

  const json::Value& field(const std::string& tensor, const json::Value& info, const char* key) const {
    const json::Value* value = info.find(key);
    if (value == nullptr) fail_tensor(tensor, std::string("\"") + key + "\" is missing");
    return *value;
  }

  TensorView read_tensor(const std::string& tensor, const json::Value& info, std::vector<ByteRange>* ranges) const {
    if (!info.is_object()) fail_tensor(tensor, "the entry is " + info.describe() + ", not an object");

    const json::Value& dtype_value = field(tensor, info, "dtype");
    DType dtype;
    if (!dtype_value.is_string() || !dtype_from_name(dtype_value.as_string(), &dtype)) {
      fail_tensor(tensor, "unsupported dtype " + dtype_value.describe() +
                              " (supported: F32 F16 BF16 F64 U8 I8 U16 I16 U32 I32 U64 I64 BOOL)");
    }

    const json::Value& shape_value = field(tensor, info, "shape");
    if (!shape_value.is_array()) fail_tensor(tensor, "\"shape\" is " + shape_value.describe() + ", not an array");
    std::vector<int64_t> shape;
    for (const json::Value& dim : shape_value.items()) {
      const auto size = dim.as_int64();
      if (!size || *size < 0) {
        fail_tensor(tensor, "\"shape\" holds " + dim.describe() + ", not a non-negative integer");
      }
      shape.push_back(*size);
    }

    const json::Value& offsets = field(tensor, info, "data_offsets");
    if (!offsets.is_array() || offsets.items().size() != 2) {
      fail_tensor(tensor, "\"data_offsets\" must be an array [begin, end]");
    }
    const auto begin = offsets.items()[0].as_uint64();
    const auto end = offsets.items()[1].as_uint64();
    if (!begin || !end) fail_tensor(tensor, "\"data_offsets\" must hold two non-negative integers");
    const std::string span = "data_offsets [" + std::to_string(*begin) + "," + std::to_string(*end) + "]";
    if (*begin > *end) fail_tensor(tensor, span + " end before they begin");
    if (*end > data_size_) {
      fail_tensor(tensor, span + " run past the end of the file (size " + std::to_string(file_size_) +
                              ", tensor data starts at byte " + std::to_string(data_start_) + ")");
    }

    uint64_t nbytes;
    if (!tensor_nbytes(dtype, shape, &nbytes)) {
      fail_tensor(tensor, "shape " + format_shape(shape) + " is too large (its size overflows)");
    }
    if (nbytes != *end - *begin) {
      fail_tensor(tensor, "shape " + format_shape(shape) + " of " + dtype_name(dtype) + " needs " +
                              std::to_string(nbytes) + " bytes but " + span + " hold " +
                              std::to_string(*end - *begin));
    }
    ranges->push_back({*begin, *end, &tensor});
    // data_ is null only for an empty data region, where every tensor is empty.
    const uint8_t* data = data_ == nullptr ? nullptr : data_ + *begin;
    return TensorView{dtype, std::move(shape), data, static_cast<std::size_t>(nbytes)};
  }

  void check_no_overlap(std::vector<ByteRange>* ranges) const {
    std::sort(ranges->begin(), ranges->end(),
              [](const ByteRange& a, const ByteRange& b) { return a.begin < b.begin; });
    const ByteRange* previous = nullptr;
    for (const ByteRange& range : *ranges) {
      if (range.begin == range.end) continue;
      if (previous != nullptr && range.begin < previous->end) {
        fail("tensors \"" + *previous->tensor + "\" and \"" + *range.tensor + "\" overlap (data_offsets [" +
             std::to_string(previous->begin) + "," + std::to_string(previous->end) + "] and [" +
             std::to_string(range.begin) + "," + std::to_string(range.end) + "])");
      }
      previous = &range;
    }
  }

  const std::string& name_;
  const uint8_t* data_;
  uint64_t data_size_;
  uint64_t data_start_;
  uint64_t file_size_;
};

}  // namespace

ParsedTensors parse_safetensors(const uint8_t* bytes, std::size_t size, const std::string& name) {
  if (size < 8) {
    throw FormatError(name + ": only " + std::to_string(size) +
                      " bytes, too short for a safetensors file (not a model file, or truncated)");
  }
  const uint64_t header_length = load_le64(bytes);
  if (header_length > kMaxHeaderBytes) {
    throw FormatError(name + ": safetensors header length " + std::to_string(header_length) +
                      " is over the 100 MB limit (not a safetensors file, or corrupt)");
  }
  if (header_length > size - 8) {
    throw FormatError(name + ": safetensors header length " + std::to_string(header_length) +
                      " runs past the end of the file (size " + std::to_string(size) + "; truncated?)");
  }
  const std::string_view header_text(reinterpret_cast<const char*>(bytes + 8), header_length);
  const json::Value header = json::parse(header_text, name + ": safetensors header");
  const uint64_t data_start = 8 + header_length;
  const uint8_t* data = data_start < size ? bytes + data_start : nullptr;
  return HeaderReader(name, data, size - data_start, data_start, size).read(header);
}

}  // namespace verbatim
