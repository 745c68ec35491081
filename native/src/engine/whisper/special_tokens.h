// Whisper's special token ids for each vocabulary, and its language order (token = first_language + index).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace verbatim {

struct SpecialTokens {
  int n_vocab = 0;
  int32_t eot = 0;
  int32_t sot = 0;
  int32_t first_language = 0;
  int n_languages = 0;  // 99, or 100 for v3 vocabularies (adds yue)
  int32_t translate = 0;
  int32_t transcribe = 0;
  int32_t startoflm = 0;
  int32_t startofprev = 0;
  int32_t nospeech = 0;
  int32_t notimestamps = 0;
  int32_t timestamp_begin = 0;  // timestamps run from here in 0.02 s steps to the end of the vocabulary

  // The ids of a Whisper vocabulary of n_vocab tokens (51864 English-only, 51865 v1/v2, 51866 v3/turbo).
  // Throws std::invalid_argument for any other size.
  static SpecialTokens for_vocabulary(int n_vocab);

  // A vocabulary without Whisper's special tokens (a transducer's pieces): every id below n_vocab is text, eot is
  // n_vocab (a transducer's blank), and there are no languages or timestamps.
  static SpecialTokens without_specials(int n_vocab);

  // English-only models take no language or task token and cannot detect languages.
  bool multilingual() const { return n_languages > 0 && n_vocab >= 51865; }
  bool is_language(int32_t token) const { return token >= first_language && token < first_language + n_languages; }
  bool is_timestamp(int32_t token) const { return token >= timestamp_begin && token < n_vocab; }
  int32_t language_token(int index) const { return first_language + index; }
};

// Whisper's language codes in token order ("en", "zh", ..., "su", "yue"); a vocabulary uses the first
// n_languages of them.
const std::vector<std::string>& whisper_language_codes();

// The language token of `code` in this vocabulary, or -1 when the vocabulary has no such language.
int32_t language_token_for_code(const SpecialTokens& special, const std::string& code);

// The code of language token `token` ("en", ...); empty when it is not one of the vocabulary's languages.
std::string language_code(const SpecialTokens& special, int32_t token);

}  // namespace verbatim
