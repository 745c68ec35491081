#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "formats/byte_reading.h"
#include "formats/mapped_file.h"
#include "support/model_writer.h"
#include "formats/tensor_file.h"

using namespace verbatim;
using namespace verbatim::test;

#define CHECK_FORMAT_ERROR(expression, text) \
  CHECK_THROWS_WITH_AS(expression, doctest::Contains(std::string(text).c_str()), verbatim::FormatError)

namespace {

std::unique_ptr<TensorFile> parse_bytes(const Bytes& bytes, const std::string& name = "model.bin") {
  return TensorFile::parse(bytes.data(), bytes.size(), name);
}

// Parses every proper prefix of `bytes` (and the whole when `whole_is_valid`): each prefix must fail cleanly.
void check_every_truncation_fails(const Bytes& bytes) {
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    const Bytes prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length));
    INFO("truncated to " << length << " of " << bytes.size() << " bytes");
    CHECK_THROWS_AS(parse_bytes(prefix), FormatError);
  }
  CHECK_NOTHROW(parse_bytes(bytes));
}

// Flips bytes at deterministic positions: the parser must either accept the result or throw FormatError.
void check_corruptions_fail_cleanly(const Bytes& bytes) {
  Random random(7);
  for (int trial = 0; trial < 3000; ++trial) {
    Bytes corrupt = bytes;
    const int flips = 1 + static_cast<int>(random.next() % 3);
    for (int i = 0; i < flips; ++i) corrupt[random.next() % corrupt.size()] = static_cast<uint8_t>(random.next());
    try {
      parse_bytes(corrupt);
    } catch (const FormatError&) {
    }
  }
}

// Replaces every occurrence (there must be one) with a string of the same length.
Bytes replaced(Bytes bytes, const std::string& from, const std::string& to) {
  REQUIRE(from.size() == to.size());
  const std::string text(bytes.begin(), bytes.end());
  std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  for (; at != std::string::npos; at = text.find(from, at + 1)) std::memcpy(bytes.data() + at, to.data(), to.size());
  return bytes;
}

std::vector<TestTensor> every_dtype_tensors() {
  std::vector<TestTensor> tensors;
  tensors.push_back(f32_tensor("encoder.conv1.weight", {2, 3}, {1, 2, 3, 4, 5, 6}));
  std::vector<float> halves = {0.5f, -2.0f};
  tensors.push_back(float_tensor("half", DType::F16, {2}, &halves));
  tensors.push_back(TestTensor{"scalar_f64", DType::F64, {}, bytes_of(std::vector<double>{3.25})});
  tensors.push_back(TestTensor{"u8", DType::U8, {3}, {1, 2, 255}});
  tensors.push_back(TestTensor{"i8", DType::I8, {1}, {0x80}});
  tensors.push_back(TestTensor{"u16", DType::U16, {1, 1}, bytes_of(std::vector<uint16_t>{65535})});
  tensors.push_back(TestTensor{"i16", DType::I16, {2}, bytes_of(std::vector<int16_t>{-1, 7})});
  tensors.push_back(TestTensor{"u32", DType::U32, {2}, bytes_of(std::vector<uint32_t>{0xDEADBEEF, 1})});
  tensors.push_back(TestTensor{"i32", DType::I32, {1}, bytes_of(std::vector<int32_t>{-5})});
  tensors.push_back(TestTensor{"u64", DType::U64, {1}, bytes_of(std::vector<uint64_t>{1ull << 60})});
  tensors.push_back(TestTensor{"alignment_heads", DType::I64, {2, 2}, bytes_of(std::vector<int64_t>{1, 0, 1, 3})});
  tensors.push_back(TestTensor{"mask", DType::Bool, {2}, {1, 0}});
  tensors.push_back(TestTensor{"empty", DType::F32, {0, 4}, {}});
  return tensors;
}

void check_tensors_match(const TensorFile& file, const std::vector<TestTensor>& expected) {
  CHECK(file.tensors().size() == expected.size());
  for (const TestTensor& tensor : expected) {
    INFO("tensor " << tensor.name);
    const TensorView* view = file.find(tensor.name);
    REQUIRE(view != nullptr);
    CHECK(view->dtype == tensor.dtype);
    CHECK(view->shape == tensor.shape);
    CHECK(view->nbytes == tensor.bytes.size());
    CHECK(Bytes(view->data, view->data + view->nbytes) == tensor.bytes);
  }
}

}  // namespace

TEST_CASE("safetensors: every dtype, scalars, empty tensors and metadata, aligned or not") {
  const auto tensors = every_dtype_tensors();
  for (std::size_t alignment : {std::size_t{1}, std::size_t{8}}) {
    INFO("header alignment " << alignment);
    const Bytes bytes = safetensors_bytes(tensors, {{"format", "mlx"}, {"note", "\\u00e9"}}, alignment);
    const auto file = parse_bytes(bytes, "tiny.safetensors");
    check_tensors_match(*file, tensors);
    CHECK(file->path() == "tiny.safetensors");
    CHECK(file->metadata().at("format") == "mlx");
    CHECK(file->metadata().at("note") == "\xc3\xa9");
    CHECK(file->find("missing") == nullptr);
    CHECK(file->find("scalar_f64")->elements() == 1);
    CHECK(file->find("empty")->elements() == 0);
    CHECK(load_unaligned<double>(file->find("scalar_f64")->data) == 3.25);
  }
  CHECK(std::string(dtype_name(DType::BF16)) == "BF16");
  CHECK(std::string(dtype_name(DType::Bool)) == "BOOL");
  CHECK(dtype_size(DType::BF16) == 2);
  CHECK(dtype_size(DType::I64) == 8);
}

TEST_CASE("safetensors: a header-only file with no tensors") {
  const auto file = parse_bytes(safetensors_bytes({}));
  CHECK(file->tensors().empty());
  CHECK(file->metadata().empty());
}

TEST_CASE("safetensors: every truncation and random corruption fails with FormatError") {
  std::vector<TestTensor> tensors = every_dtype_tensors();
  tensors.pop_back();  // the trailing empty tensor would survive a truncation of nothing
  const Bytes bytes = safetensors_bytes(tensors, {{"format", "pt"}});
  check_every_truncation_fails(bytes);
  check_corruptions_fail_cleanly(bytes);
}

namespace {

Bytes safetensors_with_header(const std::string& header, std::size_t data_bytes) {
  Bytes bytes;
  put64(bytes, header.size());
  for (char c : header) bytes.push_back(static_cast<uint8_t>(c));
  bytes.resize(bytes.size() + data_bytes, 0);
  return bytes;
}

}  // namespace

TEST_CASE("safetensors: malformed headers name the file and the field") {
  CHECK_FORMAT_ERROR(parse_bytes(Bytes{1, 2, 3}, "m.safetensors"), "m.safetensors: only 3 bytes");
  Bytes huge_length(16, 0);
  huge_length[4] = 1;  // 2^32
  CHECK_FORMAT_ERROR(parse_bytes(huge_length), "over the 100 MB limit");
  Bytes past_end = safetensors_with_header("{}", 0);
  past_end[0] = 3;
  CHECK_FORMAT_ERROR(parse_bytes(past_end, "m.st"), "m.st: safetensors header length 3 runs past the end of the file (size 10");
  CHECK_FORMAT_ERROR(parse_bytes(safetensors_with_header("{\"a\":}", 0), "m.st"),
                     "m.st: safetensors header: invalid JSON at byte 5 (line 1, column 6)");
  CHECK_FORMAT_ERROR(parse_bytes(safetensors_with_header("[]", 0)), "the header is an array, not a JSON object");

  const auto bad = [](const std::string& tensor_json, std::size_t data_bytes = 16) {
    return parse_bytes(safetensors_with_header("{\"encoder.conv1.weight\":" + tensor_json + "}", data_bytes), "m.st");
  };
  CHECK_FORMAT_ERROR(bad("3"), "m.st: tensor \"encoder.conv1.weight\": the entry is 3, not an object");
  CHECK_FORMAT_ERROR(bad(R"({"shape":[4],"data_offsets":[0,16]})"), "\"dtype\" is missing");
  CHECK_FORMAT_ERROR(bad(R"({"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]})"),
                     "unsupported dtype \"F8_E4M3\"");
  CHECK_FORMAT_ERROR(bad(R"({"dtype":"F32","shape":4,"data_offsets":[0,16]})"), "\"shape\" is 4, not an array");
  CHECK_FORMAT_ERROR(bad(R"({"dtype":"F32","shape":[-4],"data_offsets":[0,16]})"),
                     "\"shape\" holds -4, not a non-negative integer");
  CHECK_FORMAT_ERROR(bad(R"({"dtype":"F32","shape":[4.0],"data_offsets":[0,16]})"),
                     "\"shape\" holds 4.0, not a non-negative integer");
  CHECK_FORMAT_ERROR(bad(R"({"dtype":"F32","shape":[4],"data_offsets":[0]})"), "must be an array [begin, end]");
  CHECK_FORMAT_ERROR(bad(R"({"dtype":"F32","shape":[4],"data_offsets":[0,-16]})"), "two non-negative integers");
  CHECK_FORMAT_ERROR(bad(R"({"dtype":"F32","shape":[4],"data_offsets":[16,0]})"), "end before they begin");
  CHECK_FORMAT_ERROR(bad(R"({"dtype":"F32","shape":[100],"data_offsets":[0,400]})"),
                     "m.st: tensor \"encoder.conv1.weight\": data_offsets [0,400] run past the end of the file "
                     "(size 101, tensor data starts at byte 85)");
  CHECK_FORMAT_ERROR(bad(R"({"dtype":"F32","shape":[4],"data_offsets":[0,18446744073709551615]})"),
                     "run past the end of the file");
  CHECK_FORMAT_ERROR(bad(R"({"dtype":"F32","shape":[3],"data_offsets":[0,16]})"),
                     "shape (3) of F32 needs 12 bytes but data_offsets [0,16] hold 16");
  CHECK_FORMAT_ERROR(bad(R"({"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,16]})"),
                     "is too large (its size overflows)");
  CHECK_FORMAT_ERROR(bad(R"({"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,16]})"),
                     "is too large (its size overflows)");
  CHECK_FORMAT_ERROR(bad(R"({"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,16]})"),
                     "not a non-negative integer");

  const std::string overlapping =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[4],"data_offsets":[6,10]}})";
  CHECK_FORMAT_ERROR(parse_bytes(safetensors_with_header(overlapping, 16)),
                     "tensors \"a\" and \"b\" overlap (data_offsets [0,8] and [6,10])");
  const std::string shared_empty =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[0],"data_offsets":[4,4]}})";
  CHECK_NOTHROW(parse_bytes(safetensors_with_header(shared_empty, 8)));
  CHECK_FORMAT_ERROR(parse_bytes(safetensors_with_header(R"({"__metadata__":{"a":1}})", 0)),
                     "\"__metadata__\" entry \"a\" is 1, not a string");
  CHECK_FORMAT_ERROR(parse_bytes(safetensors_with_header(R"({"__metadata__":[]})", 0)),
                     "\"__metadata__\" is an array");
  CHECK_FORMAT_ERROR(parse_bytes(safetensors_with_header(R"({"a":{},"a":{}})", 0)), "duplicate key \"a\"");
}

TEST_CASE("npz: np.savez layout, npy versions 1.0 to 3.0, and zip64 everywhere") {
  const auto tensors = every_dtype_tensors();
  for (int version = 1; version <= 3; ++version) {
    for (int layout = 0; layout < 4; ++layout) {
      NpzOptions options;
      options.npy_major_version = version;
      options.zip64_local_extra = layout != 0;
      options.zip64_central = layout >= 2;
      options.zip64_end_record = layout == 3;
      options.comment = layout == 1 ? "a comment holding PK\x05\x06 to mislead the search" : "";
      INFO("npy version " << version << ", zip layout " << layout);
      check_tensors_match(*parse_bytes(npz_bytes(tensors, options), "weights.npz"), tensors);
    }
  }
  const auto empty = parse_bytes(npz_bytes({}));
  CHECK(empty->tensors().empty());
  CHECK(empty->metadata().empty());
}

TEST_CASE("npz: every truncation and random corruption fails with FormatError") {
  std::vector<TestTensor> tensors = every_dtype_tensors();
  tensors.resize(4);
  NpzOptions options;
  options.zip64_central = true;
  options.zip64_end_record = true;
  for (const Bytes& bytes : {npz_bytes(tensors), npz_bytes(tensors, options)}) {
    check_every_truncation_fails(bytes);
    check_corruptions_fail_cleanly(bytes);
  }
}

TEST_CASE("npz: unsupported members and malformed .npy headers are named") {
  const std::vector<TestTensor> tensors = {f32_tensor("encoder.conv1.weight", {2, 2}, {1, 2, 3, 4})};
  const Bytes good = npz_bytes(tensors);
  NpzOptions deflated;
  deflated.method = 8;
  CHECK_FORMAT_ERROR(parse_bytes(npz_bytes(tensors, deflated), "w.npz"),
                     "w.npz: npz: member \"encoder.conv1.weight.npy\" is compressed (method 8): compressed npz "
                     "members are not supported: re-save with np.savez");
  CHECK_FORMAT_ERROR(parse_bytes(replaced(good, "conv1.weight.npy", "conv1.weight.bin")), "is not a .npy array");
  CHECK_FORMAT_ERROR(parse_bytes(replaced(good, "False", "True ")), "Fortran-ordered arrays are not supported");
  CHECK_FORMAT_ERROR(parse_bytes(replaced(good, "'<f4'", "'>f4'")), "unsupported dtype '>f4'");
  CHECK_FORMAT_ERROR(parse_bytes(replaced(good, "'<f4'", "'<c8'")), "unsupported dtype '<c8'");
  CHECK_FORMAT_ERROR(parse_bytes(replaced(good, "(2, 2)", "(2, 3)")), "shape (2, 3) of '<f4' needs 24 bytes but the member holds 16");
  CHECK_FORMAT_ERROR(parse_bytes(replaced(good, "(2, 2)", "(2,-2)")), "expected a non-negative integer in 'shape'");
  CHECK_FORMAT_ERROR(parse_bytes(replaced(good, "'shape'", "'shapo'")), "unexpected key 'shapo'");
  CHECK_FORMAT_ERROR(parse_bytes(replaced(good, "NUMPY\x01", "NUMPY\x04")), "unsupported .npy format version 4.0");
  CHECK_FORMAT_ERROR(parse_bytes(replaced(good, "\x93NUMPY", "\x93NUMPI")), "not a .npy array (bad magic)");

  const Bytes big_endian_bytes = npz_bytes({TestTensor{"b", DType::U8, {2}, {1, 2}}});
  const auto single_byte = parse_bytes(replaced(big_endian_bytes, "'|u1'", "'>u1'"));
  CHECK(single_byte->find("b")->dtype == DType::U8);

  const std::vector<TestTensor> twice = {f32_tensor("a", {1}, {1}), f32_tensor("a", {1}, {2})};
  CHECK_FORMAT_ERROR(parse_bytes(npz_bytes(twice)), "member \"a.npy\" appears twice");
  CHECK_FORMAT_ERROR(parse_bytes(replaced(good, "PK\x01\x02", "PK\x01\x03")), "a central directory entry has a bad signature");
  CHECK_FORMAT_ERROR(parse_bytes(replaced(good, "PK\x05\x06", "PK\x05\x07")), "no zip end-of-central-directory record");
}

TEST_CASE("npz: numpy's own savez_compressed output is refused with a clear message") {
  const std::string path = std::string(VERBATIM_REFERENCE_DIR) + "/mel_filters.npz";
  CHECK_FORMAT_ERROR(TensorFile::open(path), "compressed npz members are not supported: re-save with np.savez");
}

TEST_CASE("TensorFile::open maps a file and picks the format by content, not by name") {
  TempDir dir;
  const auto tensors = every_dtype_tensors();
  write_file(dir.file("really-npz.safetensors"), npz_bytes(tensors));
  write_file(dir.file("really-safetensors.npz"), safetensors_bytes(tensors));
  for (const char* name : {"really-npz.safetensors", "really-safetensors.npz"}) {
    const auto file = TensorFile::open(dir.file(name));
    CHECK(file->path() == dir.file(name));
    check_tensors_match(*file, tensors);
  }
  write_file(dir.file("empty"), Bytes{});
  CHECK_FORMAT_ERROR(TensorFile::open(dir.file("empty")), dir.file("empty") + ": only 0 bytes");
  CHECK_FORMAT_ERROR(TensorFile::open(dir.file("absent")), dir.file("absent") + ": cannot open: No such file");
  CHECK_FORMAT_ERROR(TensorFile::open(dir.path()), dir.path() + ": not a regular file");
}

TEST_CASE("MappedFile maps empty and non-empty files read-only") {
  TempDir dir;
  write_file(dir.file("empty"), Bytes{});
  write_file(dir.file("three"), Bytes{7, 8, 9});
  const MappedFile empty(dir.file("empty"));
  CHECK(empty.size() == 0);
  CHECK(empty.data() == nullptr);
  const MappedFile three(dir.file("three"));
  CHECK(three.size() == 3);
  CHECK(Bytes(three.data(), three.data() + 3) == Bytes{7, 8, 9});
  CHECK(read_text_file(dir.file("three"), 3) == "\x07\x08\x09");
  CHECK(read_text_file(dir.file("empty"), 3).empty());
  CHECK_FORMAT_ERROR(read_text_file(dir.file("three"), 2), "the file is 3 bytes, more than the 2 bytes expected");
}
