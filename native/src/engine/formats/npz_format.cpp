// numpy .npz: a zip archive of stored (uncompressed) `<name>.npy` members, as np.savez writes it (with zip64
// extra fields, since numpy forces zip64). Only the central directory is trusted for sizes; each local header
// is read for its own name and extra lengths. https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT
// .npy: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
#include <cstring>
#include <string_view>

#include "formats/byte_reading.h"
#include "formats/tensor_formats.h"

namespace verbatim {
namespace {

constexpr uint32_t kEndOfCentralDirectory = 0x06054b50;
constexpr uint32_t kZip64EndLocator = 0x07064b50;
constexpr uint32_t kZip64EndRecord = 0x06064b50;
constexpr uint32_t kCentralDirectoryEntry = 0x02014b50;
constexpr uint32_t kLocalFileHeader = 0x04034b50;
constexpr std::size_t kEndRecordSize = 22;
constexpr std::size_t kZip64LocatorSize = 20;
constexpr std::size_t kZip64EndRecordSize = 56;
constexpr std::size_t kCentralEntrySize = 46;
constexpr std::size_t kLocalHeaderSize = 30;
constexpr uint16_t kZip64ExtraId = 0x0001;

struct CentralDirectory {
  uint64_t entries = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t end = 0;  // where the records after the directory (zip64 or classic end record) begin
};

struct Member {
  std::string name;
  uint64_t size = 0;
  uint64_t local_header_offset = 0;
};

class NpzReader {
 public:
  NpzReader(const uint8_t* bytes, std::size_t size, const std::string& name) : bytes_(bytes), size_(size), name_(name) {}

  ParsedTensors read() {
    const CentralDirectory directory = read_directory_location();
    ParsedTensors parsed;
    uint64_t position = directory.offset;
    for (uint64_t i = 0; i < directory.entries; ++i) {
      const Member member = read_central_entry(&position, directory);
      if (member.name.size() <= 4 || member.name.compare(member.name.size() - 4, 4, ".npy") != 0) {
        fail("member \"" + member.name + "\" is not a .npy array (np.savez writes only <name>.npy members)");
      }
      const std::string tensor = member.name.substr(0, member.name.size() - 4);
      const uint64_t data_offset = locate_member_data(member, directory);
      TensorView view = read_npy(tensor, bytes_ + data_offset, member.size);
      if (!parsed.tensors.emplace(tensor, std::move(view)).second) {
        fail("member \"" + member.name + "\" appears twice");
      }
    }
    if (position != directory.offset + directory.size) {
      fail("the central directory is " + std::to_string(directory.size) + " bytes but its " +
           std::to_string(directory.entries) + " entries take " + std::to_string(position - directory.offset));
    }
    return parsed;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw FormatError(name_ + ": npz: " + what); }

  void need(uint64_t offset, uint64_t length, uint64_t limit, const std::string& what) const {
    if (!range_fits(offset, length, limit)) fail(what + " lies outside the archive (truncated or corrupt file)");
  }

  // The end-of-central-directory record is the last 22 bytes plus a comment of up to 64 KiB; scan backwards
  // for a signature whose comment length reaches exactly the end of the file.
  std::size_t find_end_record() const {
    if (size_ < kEndRecordSize) fail("too short for a zip archive (truncated?)");
    const std::size_t lowest = size_ - kEndRecordSize > 0xFFFF ? size_ - kEndRecordSize - 0xFFFF : 0;
    for (std::size_t at = size_ - kEndRecordSize + 1; at-- > lowest;) {
      if (load_le32(bytes_ + at) == kEndOfCentralDirectory &&
          at + kEndRecordSize + load_le16(bytes_ + at + 20) == size_) {
        return at;
      }
    }
    fail("no zip end-of-central-directory record (truncated, or not a zip file)");
  }

  CentralDirectory read_directory_location() const {
    const std::size_t end_record = find_end_record();
    const uint8_t* record = bytes_ + end_record;
    const uint16_t disk = load_le16(record + 4);
    const uint16_t directory_disk = load_le16(record + 6);
    const uint16_t disk_entries = load_le16(record + 8);
    CentralDirectory directory;
    directory.entries = load_le16(record + 10);
    directory.size = load_le32(record + 12);
    directory.offset = load_le32(record + 16);
    directory.end = end_record;

    const bool has_locator = end_record >= kZip64LocatorSize &&
                             load_le32(bytes_ + end_record - kZip64LocatorSize) == kZip64EndLocator;
    if (has_locator) {
      read_zip64_end(end_record - kZip64LocatorSize, &directory);
    } else if (directory.entries == 0xFFFF || directory.size == 0xFFFFFFFF || directory.offset == 0xFFFFFFFF) {
      fail("the end record defers to zip64 but the zip64 end locator is missing");
    } else if (disk != 0 || directory_disk != 0 || disk_entries != directory.entries) {
      fail("multi-part zip archives are not supported");
    }
    need(directory.offset, directory.size, directory.end, "the central directory");
    // Every entry takes at least 46 bytes: this bounds the loop below by the file size.
    if (directory.entries > directory.size / kCentralEntrySize) {
      fail(std::to_string(directory.entries) + " entries cannot fit in a " + std::to_string(directory.size) +
           "-byte central directory");
    }
    return directory;
  }

  void read_zip64_end(std::size_t locator, CentralDirectory* directory) const {
    const uint8_t* record = bytes_ + locator;
    const uint32_t record_disk = load_le32(record + 4);
    const uint64_t record_offset = load_le64(record + 8);
    const uint32_t disks = load_le32(record + 16);
    if (record_disk != 0 || disks > 1) fail("multi-part zip archives are not supported");
    need(record_offset, kZip64EndRecordSize, locator, "the zip64 end-of-central-directory record");
    const uint8_t* end = bytes_ + record_offset;
    if (load_le32(end) != kZip64EndRecord) fail("the zip64 end locator does not point at a zip64 end record");
    const uint32_t disk = load_le32(end + 16);
    const uint32_t directory_disk = load_le32(end + 20);
    const uint64_t disk_entries = load_le64(end + 24);
    directory->entries = load_le64(end + 32);
    directory->size = load_le64(end + 40);
    directory->offset = load_le64(end + 48);
    directory->end = record_offset;
    if (disk != 0 || directory_disk != 0 || disk_entries != directory->entries) {
      fail("multi-part zip archives are not supported");
    }
  }

  // Replaces the saturated 32-bit fields with the 64-bit values of the zip64 extra field, in the order the zip
  // specification lists them.
  void apply_zip64_extra(const uint8_t* extra, uint16_t extra_length, const std::string& member, uint64_t* size,
                         uint64_t* compressed_size, uint64_t* local_offset) const {
    uint64_t* const fields[] = {size, compressed_size, local_offset};
    std::size_t at = 0;
    while (at + 4 <= extra_length) {
      const uint16_t id = load_le16(extra + at);
      const uint16_t length = load_le16(extra + at + 2);
      if (length > extra_length - at - 4) fail("member \"" + member + "\": an extra field runs past its header");
      if (id == kZip64ExtraId) {
        std::size_t field_at = at + 4;
        for (uint64_t* field : fields) {
          if (*field != 0xFFFFFFFF) continue;
          if (field_at + 8 > at + 4 + length) fail("member \"" + member + "\": the zip64 extra field is too short");
          *field = load_le64(extra + field_at);
          field_at += 8;
        }
        return;
      }
      at += 4 + static_cast<std::size_t>(length);
    }
    if (*size == 0xFFFFFFFF || *compressed_size == 0xFFFFFFFF || *local_offset == 0xFFFFFFFF) {
      fail("member \"" + member + "\": sizes defer to zip64 but there is no zip64 extra field");
    }
  }

  Member read_central_entry(uint64_t* position, const CentralDirectory& directory) const {
    const uint64_t directory_end = directory.offset + directory.size;
    need(*position, kCentralEntrySize, directory_end, "a central directory entry");
    const uint8_t* entry = bytes_ + *position;
    if (load_le32(entry) != kCentralDirectoryEntry) fail("a central directory entry has a bad signature");
    const uint16_t flags = load_le16(entry + 8);
    const uint16_t method = load_le16(entry + 10);
    uint64_t compressed_size = load_le32(entry + 20);
    uint64_t size = load_le32(entry + 24);
    const uint16_t name_length = load_le16(entry + 28);
    const uint16_t extra_length = load_le16(entry + 30);
    const uint16_t comment_length = load_le16(entry + 32);
    uint64_t local_offset = load_le32(entry + 42);
    const uint64_t entry_size = kCentralEntrySize + name_length + extra_length + comment_length;
    need(*position, entry_size, directory_end, "a central directory entry");

    Member member;
    member.name.assign(reinterpret_cast<const char*>(entry + kCentralEntrySize), name_length);
    apply_zip64_extra(entry + kCentralEntrySize + name_length, extra_length, member.name, &size, &compressed_size,
                      &local_offset);
    if (flags & 1) fail("member \"" + member.name + "\" is encrypted");
    if (method != 0) {
      fail("member \"" + member.name + "\" is compressed (method " + std::to_string(method) +
           "): compressed npz members are not supported: re-save with np.savez");
    }
    if (compressed_size != size) {
      fail("member \"" + member.name + "\" is stored but its compressed and uncompressed sizes differ");
    }
    member.size = size;
    member.local_header_offset = local_offset;
    *position += entry_size;
    return member;
  }

  // The member's data follows its local header, whose name and extra field lengths are its own.
  uint64_t locate_member_data(const Member& member, const CentralDirectory& directory) const {
    const std::string what = "member \"" + member.name + "\"";
    need(member.local_header_offset, kLocalHeaderSize, directory.offset, what + ": local header");
    const uint8_t* header = bytes_ + member.local_header_offset;
    if (load_le32(header) != kLocalFileHeader) fail(what + ": the local header has a bad signature");
    const uint16_t name_length = load_le16(header + 26);
    const uint16_t extra_length = load_le16(header + 28);
    const uint64_t data_offset = member.local_header_offset + kLocalHeaderSize + name_length + extra_length;
    need(member.local_header_offset, kLocalHeaderSize + name_length + extra_length, directory.offset,
         what + ": local header");
    if (std::string_view(reinterpret_cast<const char*>(header + kLocalHeaderSize), name_length) != member.name) {
      fail(what + ": the local header names a different file");
    }
    need(data_offset, member.size, directory.offset, what + ": data");
    return data_offset;
  }

  TensorView read_npy(const std::string& tensor, const uint8_t* data, uint64_t size) const;

  const uint8_t* bytes_;
  std::size_t size_;
  const std::string& name_;
};

// The .npy header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class NpyHeaderParser {
 public:
  NpyHeaderParser(std::string_view text, const std::string& where) : text_(text), where_(where) {}

  void parse(std::string* descr, bool* fortran_order, std::vector<int64_t>* shape) {
    bool seen_descr = false, seen_order = false, seen_shape = false;
    skip_spaces();
    expect('{');
    while (true) {
      skip_spaces();
      if (peek() == '}') break;
      const std::string key = parse_string();
      skip_spaces();
      expect(':');
      skip_spaces();
      if (key == "descr" && !seen_descr) {
        *descr = parse_string();
        seen_descr = true;
      } else if (key == "fortran_order" && !seen_order) {
        *fortran_order = parse_bool();
        seen_order = true;
      } else if (key == "shape" && !seen_shape) {
        *shape = parse_shape();
        seen_shape = true;
      } else {
        fail("unexpected key '" + key + "'");
      }
      skip_spaces();
      if (peek() != ',') break;
      ++pos_;
    }
    skip_spaces();
    expect('}');
    skip_spaces();
    if (pos_ != text_.size()) fail("unexpected text after the header dict");
    if (!seen_descr || !seen_order || !seen_shape) fail("the header lacks 'descr', 'fortran_order' or 'shape'");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(where_ + ": bad .npy header at byte " + std::to_string(pos_) + ": " + what);
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_spaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n')) ++pos_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }

  std::string parse_string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    const std::size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string value(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return value;
  }

  bool parse_bool() {
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail("expected True or False");
  }

  std::vector<int64_t> parse_shape() {
    std::vector<int64_t> shape;
    expect('(');
    while (true) {
      skip_spaces();
      if (peek() == ')') break;
      shape.push_back(parse_dimension());
      skip_spaces();
      if (peek() != ',') break;
      ++pos_;
    }
    skip_spaces();
    expect(')');
    return shape;
  }

  int64_t parse_dimension() {
    if (peek() < '0' || peek() > '9') fail("expected a non-negative integer in 'shape'");
    uint64_t value = 0;
    while (peek() >= '0' && peek() <= '9') {
      const auto digit = static_cast<uint64_t>(peek() - '0');
      if (value > (static_cast<uint64_t>(INT64_MAX) - digit) / 10) fail("a dimension in 'shape' is too large");
      value = value * 10 + digit;
      ++pos_;
    }
    return static_cast<int64_t>(value);
  }

  std::string_view text_;
  const std::string& where_;
  std::size_t pos_ = 0;
};

// numpy's array-protocol type strings: byte order ('<' little, '|' not applicable, '>' big), kind, item size.
bool dtype_from_descr(const std::string& descr, DType* dtype) {
  if (descr.size() != 3) return false;
  const char order = descr[0];
  const std::string type = descr.substr(1);
  static const struct {
    const char* type;
    DType dtype;
  } kTypes[] = {{"f2", DType::F16}, {"f4", DType::F32}, {"f8", DType::F64}, {"u1", DType::U8},
                {"i1", DType::I8},  {"u2", DType::U16}, {"i2", DType::I16}, {"u4", DType::U32},
                {"i4", DType::I32}, {"u8", DType::U64}, {"i8", DType::I64}, {"b1", DType::Bool}};
  for (const auto& entry : kTypes) {
    if (type != entry.type) continue;
    const bool single_byte = dtype_size(entry.dtype) == 1;
    if (order == '<' || (single_byte && (order == '|' || order == '>'))) {
      *dtype = entry.dtype;
      return true;
    }
    return false;
  }
  return false;
}

TensorView NpzReader::read_npy(const std::string& tensor, const uint8_t* data, uint64_t size) const {
  const std::string where = name_ + ": npz member \"" + tensor + ".npy\"";
  static const uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10 || std::memcmp(data, kMagic, 6) != 0) throw FormatError(where + ": not a .npy array (bad magic)");
  const uint8_t major = data[6], minor = data[7];
  if (minor != 0 || major < 1 || major > 3) {
    throw FormatError(where + ": unsupported .npy format version " + std::to_string(major) + "." +
                      std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");
  }
  const uint64_t prefix = major == 1 ? 10 : 12;
  if (size < prefix) throw FormatError(where + ": the .npy header is truncated");
  const uint64_t header_length = major == 1 ? load_le16(data + 8) : load_le32(data + 8);
  if (header_length > size - prefix) throw FormatError(where + ": the .npy header runs past the member's end");

  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
  NpyHeaderParser(std::string_view(reinterpret_cast<const char*>(data + prefix), header_length), where)
      .parse(&descr, &fortran_order, &shape);
  DType dtype;
  if (!dtype_from_descr(descr, &dtype)) {
    throw FormatError(where + ": unsupported dtype '" + descr +
                      "' (supported: little-endian f2 f4 f8 u1 i1 u2 i2 u4 i4 u8 i8 b1)");
  }
  if (fortran_order) {
    throw FormatError(where + ": Fortran-ordered arrays are not supported: save np.ascontiguousarray(x)");
  }
  uint64_t nbytes;
  if (!tensor_nbytes(dtype, shape, &nbytes)) {
    throw FormatError(where + ": shape " + format_shape(shape) + " is too large (its size overflows)");
  }
  const uint64_t available = size - prefix - header_length;
  if (nbytes != available) {
    throw FormatError(where + ": shape " + format_shape(shape) + " of '" + descr + "' needs " +
                      std::to_string(nbytes) + " bytes but the member holds " + std::to_string(available));
  }
  return TensorView{dtype, std::move(shape), data + prefix + header_length, static_cast<std::size_t>(nbytes)};
}

}  // namespace

ParsedTensors parse_npz(const uint8_t* bytes, std::size_t size, const std::string& name) {
  return NpzReader(bytes, size, name).read();
}

}  // namespace verbatim
