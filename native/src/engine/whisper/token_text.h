// The few text facts the decoding rules need, computed from token bytes the way openai/whisper computes them
// from decoded text: UTF-8 with invalid sequences replaced (as Python's errors="replace"), str.strip(), and
// the zlib compression ratio of the stripped text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "transcript/token_bytes.h"

namespace verbatim {

// The UTF-8 text of `tokens` below `limit` (tokens >= limit, such as timestamps, are left out), with each
// maximal invalid byte sequence replaced by U+FFFD as Python's bytes.decode("utf-8", "replace") does.
std::string decode_tokens(const std::vector<int32_t>& tokens, const TokenBytes& table, int32_t limit);

// `text` (valid UTF-8) without the leading and trailing characters Python's str.strip() removes.
std::string strip_whitespace(const std::string& text);

// len(text) / len(zlib.compress(text)) at zlib's default level, as whisper.utils.compression_ratio.
double compression_ratio(const std::string& text);

}  // namespace verbatim
