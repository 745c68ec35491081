// A boosted term heard as its parts: where decoding writes a term as two to four words whose letters, spaces aside,
// are the term's ("plan false" for "planfalse", "git hub" for "GitHub"), the words become the term. A model writes a
// compound it never saw as words it knows: the sounds are right and only the word boundary is wrong, and the term's
// pieces inside a word are ones it gives a probability near zero, so no bonus in decoding brings them back without
// bringing terms into speech that does not hold them (native/PARAKEET.md, "Vocabulary boosting"). Only the decoded
// letters decide, so a term is written only where the model itself read every letter of it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace verbatim {

class TermJoiner {
 public:
  // `phrases`: each term's piece-id splits (those boosted); `vocabulary`: the model's SentencePiece pieces, "▁" first
  // where a piece starts a word. Ids outside the vocabulary are the caller's to refuse (PhraseBoostTree does).
  TermJoiner(const std::vector<std::vector<int32_t>>& phrases, const std::vector<std::string>& vocabulary);

  // Where to write a term: `first` the index of a run's first token, `count` its tokens, `pieces` what replaces them
  // (the term's split, then the run's trailing punctuation).
  struct Join {
    std::size_t first = 0;
    std::size_t count = 0;
    std::vector<int32_t> pieces;
  };
  // The joins in `tokens` (decoded piece ids, in order), left to right, not overlapping; the longest run first.
  std::vector<Join> find(const std::vector<int32_t>& tokens) const;

  static constexpr int kMaxWords = 4;

 private:
  bool starts_word(int32_t token) const;
  // The piece's letters without its word mark.
  const std::string& letters(int32_t token) const { return letters_[static_cast<std::size_t>(token)]; }

  std::vector<std::string> letters_;
  std::vector<bool> starts_word_;
  std::unordered_map<std::string, int32_t> piece_of_;  // a piece's text (no word mark) to its id
  // A term's letters, lower case, to its splits; of a term written two ways (as written, capitalised), both.
  std::unordered_map<std::string, std::vector<std::vector<int32_t>>> terms_;
};

// The boosted terms a decoder wrote as their parts, written as the terms, in a decoder's own timed tokens (`Token`,
// its piece id in `id`). A term's pieces take the times of the words they replace, in order (the last of them the last
// word's end).
template <class Token>
void join_terms(const TermJoiner& joiner, std::vector<Token>& tokens, int32_t Token::*id) {
  std::vector<int32_t> ids;
  ids.reserve(tokens.size());
  for (const Token& t : tokens) ids.push_back(t.*id);
  const std::vector<TermJoiner::Join> joins = joiner.find(ids);
  if (joins.empty()) return;
  std::vector<Token> out;
  std::size_t next = 0;
  for (const TermJoiner::Join& join : joins) {
    out.insert(out.end(), tokens.begin() + static_cast<std::ptrdiff_t>(next),
               tokens.begin() + static_cast<std::ptrdiff_t>(join.first));
    for (std::size_t k = 0; k < join.pieces.size(); ++k) {
      const bool last = k + 1 == join.pieces.size();
      Token t = tokens[join.first + (last ? join.count - 1 : std::min(k, join.count - 1))];
      t.*id = join.pieces[k];
      out.push_back(t);
    }
    next = join.first + join.count;
  }
  out.insert(out.end(), tokens.begin() + static_cast<std::ptrdiff_t>(next), tokens.end());
  tokens = std::move(out);
}

}  // namespace verbatim
