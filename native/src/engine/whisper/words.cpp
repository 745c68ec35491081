#include "whisper/words.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>

namespace verbatim {

const char* const kPrependPunctuations = "\"'\xE2\x80\x9C\xC2\xBF([{-";  // "'“¿([{-
// "'.。,，!！?？:：”)]}、
const char* const kAppendPunctuations =
    "\"'.\xE3\x80\x82,\xEF\xBC\x8C!\xEF\xBC\x81?\xEF\xBC\x9F:\xEF\xBC\x9A\xE2\x80\x9D)]}\xE3\x80\x81";

namespace {

constexpr char32_t kReplacementCharacter = 0xFFFD;
// Python's string.punctuation.
constexpr char kAsciiPunctuation[] = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
// ".。!！?？": words at which openai cuts a long word after them short.
constexpr char kSentenceEndMarks[] = ".\xE3\x80\x82!\xEF\xBC\x81?\xEF\xBC\x9F";

// The code points of valid UTF-8 (what decode_tokens returns).
std::u32string code_points(const std::string& text) {
  std::u32string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const std::size_t length = byte < 0x80 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4;
    char32_t value = length == 1 ? byte : byte & (0x7F >> length);
    for (std::size_t k = 1; k < length && i + k < text.size(); ++k) {
      value = (value << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    out.push_back(value);
    i += length;
  }
  return out;
}

// Python's `needle in haystack` for str (valid UTF-8 on both sides: a byte match is a character match).
bool contains(const char* haystack, const std::string& needle) {
  return std::string(haystack).find(needle) != std::string::npos;
}

struct WordTiming {
  std::string word;
  std::vector<int32_t> tokens;
  double start = 0;
  double end = 0;
  double probability = 0;
};

// A run of tokens [first, first + count) and its decoded text.
struct TokenGroup {
  std::string text;
  std::size_t first = 0;
  std::size_t count = 0;
};

std::string decode(const std::vector<int32_t>& tokens, std::size_t first, std::size_t count,
                   const TokenBytes& table) {
  const std::vector<int32_t> run(tokens.begin() + static_cast<std::ptrdiff_t>(first),
                                 tokens.begin() + static_cast<std::ptrdiff_t>(first + count));
  return decode_tokens(run, table, std::numeric_limits<int32_t>::max());
}

// tokenizer.split_tokens_on_unicode: a group ends where its decoded text has no U+FFFD, or where the one it has is
// also in the text of all the tokens (an invalid byte, not a character still incomplete).
std::vector<TokenGroup> split_on_unicode(const std::vector<int32_t>& tokens, const TokenBytes& table) {
  const std::u32string full = code_points(decode(tokens, 0, tokens.size(), table));
  std::vector<TokenGroup> groups;
  std::size_t first = 0, offset = 0;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string text = decode(tokens, first, i + 1 - first, table);
    const std::u32string decoded = code_points(text);
    const std::size_t replacement = decoded.find(kReplacementCharacter);
    if (replacement == std::u32string::npos ||
        (offset + replacement < full.size() && full[offset + replacement] == kReplacementCharacter)) {
      groups.push_back({text, first, i + 1 - first});
      first = i + 1;
      offset += decoded.size();
    }
  }
  return groups;
}

// tokenizer.split_tokens_on_spaces: a word starts at a piece that begins with a space or is punctuation.
std::vector<TokenGroup> split_on_spaces(const std::vector<int32_t>& tokens, const TokenBytes& table) {
  std::vector<TokenGroup> words;
  for (TokenGroup& piece : split_on_unicode(tokens, table)) {
    const bool with_space = !piece.text.empty() && piece.text[0] == ' ';
    const bool punctuation = contains(kAsciiPunctuation, strip_whitespace(piece.text));
    if (with_space || punctuation || words.empty()) {
      words.push_back(std::move(piece));
    } else {
      words.back().text += piece.text;
      words.back().count += piece.count;
    }
  }
  return words;
}

// find_alignment's words: each from its first token's start to its last token's end, with its tokens' mean
// probability.
std::vector<WordTiming> word_timings(const std::vector<TokenTiming>& timings, const TokenBytes& table,
                                     bool split_on_unicode_only) {
  std::vector<int32_t> tokens;
  for (const TokenTiming& timing : timings) tokens.push_back(timing.token);
  const std::vector<TokenGroup> groups =
      split_on_unicode_only ? split_on_unicode(tokens, table) : split_on_spaces(tokens, table);
  std::vector<WordTiming> words;
  for (const TokenGroup& group : groups) {
    WordTiming word;
    word.word = group.text;
    word.tokens.assign(tokens.begin() + static_cast<std::ptrdiff_t>(group.first),
                       tokens.begin() + static_cast<std::ptrdiff_t>(group.first + group.count));
    word.start = timings[group.first].start;
    word.end = timings[group.first + group.count - 1].end;
    double sum = 0;
    for (std::size_t k = group.first; k < group.first + group.count; ++k) sum += timings[k].probability;
    word.probability = sum / static_cast<double>(group.count);
    words.push_back(std::move(word));
  }
  return words;
}

bool starts_with_space(const std::string& text) { return !text.empty() && text.front() == ' '; }
bool ends_with_space(const std::string& text) { return !text.empty() && text.back() == ' '; }

// timing.merge_punctuations: prepended punctuation joins the word after it, appended punctuation the word before;
// the word keeps its own times, the emptied entry stays (with no text and no tokens).
void merge_punctuations(std::vector<WordTiming>& alignment) {
  if (alignment.size() < 2) return;
  for (std::ptrdiff_t i = static_cast<std::ptrdiff_t>(alignment.size()) - 2,
                      j = static_cast<std::ptrdiff_t>(alignment.size()) - 1;
       i >= 0; --i) {
    WordTiming& previous = alignment[static_cast<std::size_t>(i)];
    WordTiming& following = alignment[static_cast<std::size_t>(j)];
    if (starts_with_space(previous.word) && contains(kPrependPunctuations, strip_whitespace(previous.word))) {
      following.word = previous.word + following.word;
      following.tokens.insert(following.tokens.begin(), previous.tokens.begin(), previous.tokens.end());
      previous.word.clear();
      previous.tokens.clear();
    } else {
      j = i;
    }
  }
  for (std::size_t i = 0, j = 1; j < alignment.size(); ++j) {
    WordTiming& previous = alignment[i];
    WordTiming& following = alignment[j];
    if (!ends_with_space(previous.word) && contains(kAppendPunctuations, following.word)) {
      previous.word += following.word;
      previous.tokens.insert(previous.tokens.end(), following.tokens.begin(), following.tokens.end());
      following.word.clear();
      following.tokens.clear();
    } else {
      i = j;
    }
  }
}

// np.median of the non-zero durations (0 when there are none), capped at 0.7 s as openai caps it.
double median_duration(const std::vector<WordTiming>& alignment, bool* any) {
  std::vector<double> durations;
  for (const WordTiming& word : alignment) {
    const double duration = word.end - word.start;
    if (duration != 0) durations.push_back(duration);
  }
  *any = !durations.empty();
  if (durations.empty()) return 0.0;
  std::sort(durations.begin(), durations.end());
  const std::size_t n = durations.size();
  const double median = n % 2 == 1 ? durations[n / 2] : (durations[n / 2 - 1] + durations[n / 2]) / 2;
  return std::min(0.7, median);
}

}  // namespace

double round_to_hundredths(double x) {
  char text[64];
  std::snprintf(text, sizeof text, "%.2f", x);  // the exact binary value, correctly rounded (ties to even)
  return std::strtod(text, nullptr);
}

void add_word_timestamps(std::vector<WordSegment>& segments, const std::vector<TokenTiming>& timings,
                         double time_offset, const TokenBytes& token_bytes, bool split_on_unicode_only,
                         double last_speech_timestamp) {
  if (segments.empty()) return;
  std::size_t n_text = 0;
  for (const WordSegment& segment : segments) n_text += segment.text_tokens.size();
  if (timings.size() != n_text) throw std::invalid_argument("add_word_timestamps needs one timing per text token");

  std::vector<WordTiming> alignment =
      timings.empty() ? std::vector<WordTiming>{} : word_timings(timings, token_bytes, split_on_unicode_only);
  bool any_duration = false;
  const double median = median_duration(alignment, &any_duration);
  const double max_duration = median * 2;

  // Words at sentence boundaries are not longer than twice the median word duration.
  if (any_duration) {
    for (std::size_t i = 1; i < alignment.size(); ++i) {
      if (alignment[i].end - alignment[i].start > max_duration) {
        if (contains(kSentenceEndMarks, alignment[i].word)) {
          alignment[i].end = alignment[i].start + max_duration;
        } else if (contains(kSentenceEndMarks, alignment[i - 1].word)) {
          alignment[i].start = alignment[i].end - max_duration;
        }
      }
    }
  }
  merge_punctuations(alignment);

  std::size_t word_index = 0;
  for (WordSegment& segment : segments) {
    std::size_t saved_tokens = 0;
    std::vector<Word> words;
    while (word_index < alignment.size() && saved_tokens < segment.text_tokens.size()) {
      const WordTiming& timing = alignment[word_index];
      if (!timing.word.empty()) {
        words.push_back({timing.word, timing.tokens, round_to_hundredths(time_offset + timing.start),
                         round_to_hundredths(time_offset + timing.end), timing.probability});
      }
      saved_tokens += timing.tokens.size();
      ++word_index;
    }

    if (!words.empty()) {
      // The first and second word after a pause are not longer than twice the median word duration.
      if (words[0].end - last_speech_timestamp > median * 4 &&
          (words[0].end - words[0].start > max_duration ||
           (words.size() > 1 && words[1].end - words[0].start > max_duration * 2))) {
        if (words.size() > 1 && words[1].end - words[1].start > max_duration) {
          const double boundary = std::max(words[1].end / 2, words[1].end - max_duration);
          words[0].end = words[1].start = boundary;
        }
        words[0].start = std::max(0.0, words[0].end - max_duration);
      }
      // The segment's own start when its first word is too long, else the first word's start.
      if (segment.start < words[0].end && segment.start - 0.5 > words[0].start) {
        words[0].start = std::max(0.0, std::min(words[0].end - median, segment.start));
      } else {
        segment.start = words[0].start;
      }
      // Likewise at the end.
      if (segment.end > words.back().start && segment.end + 0.5 < words.back().end) {
        words.back().end = std::max(words.back().start + median, segment.end);
      } else {
        segment.end = words.back().end;
      }
      last_speech_timestamp = segment.end;
    }
    segment.words = std::move(words);
  }
}

}  // namespace verbatim
