#include "whisper/token_text.h"

#include <zlib.h>

#include <stdexcept>

namespace verbatim {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence starting at text[i], or 0 when the bytes there are invalid; `maximal`
// receives the length of the maximal invalid subpart to replace (at least 1) in that case.
std::size_t valid_sequence_length(const std::string& text, std::size_t i, std::size_t* maximal) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  *maximal = 1;
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  for (std::size_t k = 1; k < length; ++k) {
    if (i + k >= text.size()) return 0;
    const unsigned char b = byte(i + k);
    const bool ok = k == 1 ? (b >= low && b <= high) : (b >= 0x80 && b <= 0xBF);
    if (!ok) return 0;
    *maximal = k + 1;
  }
  return length;
}

// Code point of the valid UTF-8 sequence at text[i] of `length` bytes.
char32_t code_point(const std::string& text, std::size_t i, std::size_t length) {
  const auto byte = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(text[k])); };
  if (length == 1) return byte(i);
  char32_t value = byte(i) & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) value = (value << 6) | (byte(i + k) & 0x3F);
  return value;
}

bool is_python_whitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::size_t sequence_length(const std::string& text, std::size_t i) {
  std::size_t maximal = 0;
  const std::size_t length = valid_sequence_length(text, i, &maximal);
  if (length == 0) throw std::invalid_argument("strip_whitespace needs valid UTF-8");
  return length;
}

}  // namespace

std::string decode_tokens(const std::vector<int32_t>& tokens, const TokenBytes& table, int32_t limit) {
  std::string raw;
  for (int32_t token : tokens) {
    if (token >= 0 && token < limit && static_cast<std::size_t>(token) < table.size()) raw += table[token];
  }
  std::string text;
  text.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size();) {
    std::size_t maximal = 0;
    const std::size_t length = valid_sequence_length(raw, i, &maximal);
    if (length == 0) {
      text += kReplacement;
      i += maximal;
    } else {
      text.append(raw, i, length);
      i += length;
    }
  }
  return text;
}

std::string strip_whitespace(const std::string& text) {
  std::size_t begin = 0;
  while (begin < text.size()) {
    const std::size_t length = sequence_length(text, begin);
    if (!is_python_whitespace(code_point(text, begin, length))) break;
    begin += length;
  }
  std::size_t end = begin;  // one past the last non-whitespace character
  for (std::size_t i = begin; i < text.size();) {
    const std::size_t length = sequence_length(text, i);
    if (!is_python_whitespace(code_point(text, i, length))) end = i + length;
    i += length;
  }
  return text.substr(begin, end - begin);
}

double compression_ratio(const std::string& text) {
  uLongf compressed_size = compressBound(static_cast<uLong>(text.size()));
  std::vector<Bytef> compressed(compressed_size);
  const int status = compress2(compressed.data(), &compressed_size, reinterpret_cast<const Bytef*>(text.data()),
                               static_cast<uLong>(text.size()), Z_DEFAULT_COMPRESSION);
  if (status != Z_OK) throw std::runtime_error("zlib could not compress the decoded text (status " +
                                               std::to_string(status) + ")");
  return static_cast<double>(text.size()) / static_cast<double>(compressed_size);
}

}  // namespace verbatim
