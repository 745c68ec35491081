#include "transducer/term_joining.h"

#include <algorithm>
#include <cctype>

namespace verbatim {
namespace {

const std::string kWordMark = "\xE2\x96\x81";  // "▁"

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool punctuation(char c) { return std::ispunct(static_cast<unsigned char>(c)) != 0; }

}  // namespace

TermJoiner::TermJoiner(const std::vector<std::vector<int32_t>>& phrases, const std::vector<std::string>& vocabulary) {
  for (std::size_t id = 0; id < vocabulary.size(); ++id) {
    std::string text = vocabulary[id];
    const bool start = text.compare(0, kWordMark.size(), kWordMark) == 0;
    std::string stripped;
    for (std::size_t at = 0; at < text.size();) {
      if (text.compare(at, kWordMark.size(), kWordMark) == 0) {
        at += kWordMark.size();
      } else {
        stripped += text[at++];
      }
    }
    starts_word_.push_back(start);
    if (!start) piece_of_.emplace(stripped, static_cast<int32_t>(id));
    letters_.push_back(std::move(stripped));
  }
  for (const std::vector<int32_t>& phrase : phrases) {
    const bool spelled = std::all_of(phrase.begin(), phrase.end(), [this](int32_t token) {
      return token >= 0 && static_cast<std::size_t>(token) < letters_.size();
    });
    if (!spelled) continue;
    std::string key;
    for (int32_t token : phrase) key += letters(token);
    if (!key.empty()) terms_[lower(key)].push_back(phrase);
  }
}

bool TermJoiner::starts_word(int32_t token) const {
  return token >= 0 && static_cast<std::size_t>(token) < starts_word_.size() &&
         starts_word_[static_cast<std::size_t>(token)];
}

std::vector<TermJoiner::Join> TermJoiner::find(const std::vector<int32_t>& tokens) const {
  std::vector<Join> joins;
  if (terms_.empty()) return joins;
  // Where each word starts, and one past the last; a token outside the vocabulary ends the search there.
  std::vector<std::size_t> starts;
  std::size_t known = 0;
  for (; known < tokens.size() && tokens[known] >= 0 && static_cast<std::size_t>(tokens[known]) < letters_.size();
       ++known) {
    if (starts_word(tokens[known])) starts.push_back(known);
  }
  if (known < tokens.size()) return joins;
  starts.push_back(tokens.size());
  for (std::size_t w = 0; w + 1 < starts.size();) {
    bool joined = false;
    for (std::size_t words = std::min<std::size_t>(kMaxWords, starts.size() - 1 - w); words >= 2 && !joined; --words) {
      const std::size_t first = starts[w], end = starts[w + words];
      std::string text;
      for (std::size_t i = first; i < end; ++i) text += letters(tokens[i]);
      std::size_t cut = text.size();
      while (cut > 0 && punctuation(text[cut - 1])) --cut;
      const auto term = terms_.find(lower(text.substr(0, cut)));
      if (term == terms_.end()) continue;
      Join join{first, end - first, {}};
      // The split that begins as the model wrote the first letter (capitalised at a sentence's start), else the first.
      join.pieces = term->second.front();
      for (const std::vector<int32_t>& split : term->second) {
        const std::string& begins = letters(split.front());
        if (!begins.empty() && begins.front() == text.front()) {
          join.pieces = split;
          break;
        }
      }
      if (cut < text.size()) {
        const auto mark = piece_of_.find(text.substr(cut));
        if (mark == piece_of_.end()) continue;  // punctuation no piece writes alone: the words stay as they are
        join.pieces.push_back(mark->second);
      }
      joins.push_back(std::move(join));
      w += words;
      joined = true;
    }
    if (!joined) ++w;
  }
  return joins;
}

}  // namespace verbatim
