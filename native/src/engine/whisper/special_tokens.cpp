#include "whisper/special_tokens.h"

#include <stdexcept>

namespace verbatim {

SpecialTokens SpecialTokens::without_specials(int n_vocab) {
  SpecialTokens special;
  special.n_vocab = n_vocab;
  special.eot = special.sot = special.first_language = special.translate = special.transcribe = n_vocab;
  special.startoflm = special.startofprev = special.nospeech = special.notimestamps = n_vocab;
  special.timestamp_begin = n_vocab;
  special.n_languages = 0;
  return special;
}

SpecialTokens SpecialTokens::for_vocabulary(int n_vocab) {
  SpecialTokens s;
  s.n_vocab = n_vocab;
  if (n_vocab == 51864) {  // English-only (GPT-2 ranks)
    s.eot = 50256;
    s.n_languages = 99;
  } else if (n_vocab == 51865) {
    s.eot = 50257;
    s.n_languages = 99;
  } else if (n_vocab == 51866) {
    s.eot = 50257;
    s.n_languages = 100;
  } else {
    throw std::invalid_argument("n_vocab " + std::to_string(n_vocab) +
                                " is not a Whisper vocabulary (expected 51864, 51865 or 51866): the model's "
                                "config.json does not describe a Whisper model");
  }
  s.sot = s.eot + 1;
  s.first_language = s.sot + 1;
  s.translate = s.first_language + s.n_languages;
  s.transcribe = s.translate + 1;
  s.startoflm = s.transcribe + 1;
  s.startofprev = s.startoflm + 1;
  s.nospeech = s.startofprev + 1;
  s.notimestamps = s.nospeech + 1;
  s.timestamp_begin = s.notimestamps + 1;
  return s;
}

const std::vector<std::string>& whisper_language_codes() {
  static const std::vector<std::string> codes = {
      "en", "zh", "de", "es", "ru", "ko",  "fr", "ja", "pt", "tr", "pl", "ca", "nl", "ar", "sv", "it", "id",
      "hi", "fi", "vi", "he", "uk", "el",  "ms", "cs", "ro", "da", "hu", "ta", "no", "th", "ur", "hr", "bg",
      "lt", "la", "mi", "ml", "cy", "sk",  "te", "fa", "lv", "bn", "sr", "az", "sl", "kn", "et", "mk", "br",
      "eu", "is", "hy", "ne", "mn", "bs",  "kk", "sq", "sw", "gl", "mr", "pa", "si", "km", "sn", "yo", "so",
      "af", "oc", "ka", "be", "tg", "sd",  "gu", "am", "yi", "lo", "uz", "fo", "ht", "ps", "tk", "nn", "mt",
      "sa", "lb", "my", "bo", "tl", "mg",  "as", "tt", "haw", "ln", "ha", "ba", "jw", "su", "yue"};
  return codes;
}

std::string language_code(const SpecialTokens& special, int32_t token) {
  if (!special.is_language(token)) return {};
  return whisper_language_codes()[static_cast<std::size_t>(token - special.first_language)];
}

int32_t language_token_for_code(const SpecialTokens& special, const std::string& code) {
  const std::vector<std::string>& codes = whisper_language_codes();
  for (int i = 0; i < special.n_languages && i < static_cast<int>(codes.size()); ++i) {
    if (codes[i] == code) return special.language_token(i);
  }
  return -1;
}

}  // namespace verbatim
