// Writing a boosted term the model heard as its parts (transducer/term_joining.h): which runs of decoded words become
// a term, on a small vocabulary of pieces. The measured effect on a trained model is test/e2e/parakeet-boost.test.ts's.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "transducer/term_joining.h"

namespace {

using verbatim::TermJoiner;

#define W "\xE2\x96\x81"  // "▁": the piece starts a word
// 0 ▁plan  1 ▁fal  2 se  3 ▁false  4 fal  5 .  6 ▁Plan  7 ▁the  8 plan  9 ▁pl  10 an  11 ▁git  12 ▁hub  13 se.
const std::vector<std::string> kPieces{W "plan", W "fal", "se", W "false", "fal", ".", W "Plan",
                                       W "the",  "plan",  W "pl", "an", W "git", W "hub", "se."};
#undef W
// "planfalse" as the term is split (one word), and capitalised.
const std::vector<std::vector<int32_t>> kTerm{{0, 4, 2}, {6, 4, 2}};

// A decoder's timed token, as join_terms takes one: its piece and the frame it was decoded at.
struct Timed {
  int32_t id;
  int frame;
};

std::vector<Timed> timed(const std::vector<int32_t>& tokens) {
  std::vector<Timed> out;
  for (std::size_t i = 0; i < tokens.size(); ++i) out.push_back({tokens[i], static_cast<int>(i)});
  return out;
}

// The tokens with the joiner's terms written in (join_terms, as greedy TDT and a Nemotron stream call it).
std::vector<int32_t> joined(const TermJoiner& joiner, const std::vector<int32_t>& tokens) {
  std::vector<Timed> out = timed(tokens);
  verbatim::join_terms(joiner, out, &Timed::id);
  std::vector<int32_t> ids;
  for (const Timed& t : out) ids.push_back(t.id);
  return ids;
}

}  // namespace

TEST_CASE("words whose letters are a term's become the term, however the model split them") {
  const TermJoiner joiner(kTerm, kPieces);
  CHECK(joined(joiner, {7, 0, 3}) == std::vector<int32_t>{7, 0, 4, 2});        // the plan false
  CHECK(joined(joiner, {7, 9, 10, 1, 2}) == std::vector<int32_t>{7, 0, 4, 2});  // the pl an fal se
  CHECK(joined(joiner, {0, 3, 7}) == std::vector<int32_t>{0, 4, 2, 7});        // plan false the
}

TEST_CASE("a term at a sentence's start keeps its capital, and trailing punctuation stays") {
  const TermJoiner joiner(kTerm, kPieces);
  CHECK(joined(joiner, {6, 3, 7}) == std::vector<int32_t>{6, 4, 2, 7});  // Plan false the
  CHECK(joined(joiner, {7, 0, 3, 5}) == std::vector<int32_t>{7, 0, 4, 2, 5});  // the plan false.
  CHECK(joined(joiner, {7, 0, 1, 13}) == std::vector<int32_t>{7, 0, 4, 2, 5});  // the plan fal se.
}

TEST_CASE("words are left alone unless their letters are exactly a term's, from word start to word end") {
  const TermJoiner joiner(kTerm, kPieces);
  for (const std::vector<int32_t>& tokens : std::vector<std::vector<int32_t>>{
           {7, 0},           // the plan: a part alone
           {0, 7, 3},        // plan the false: not adjacent
           {7, 3, 0},        // false plan: out of order
           {0, 3, 8},        // plan falseplan: the last word runs on
           {0, 4, 2},        // planfalse: already one word
           {11, 12, 0, 1}})  // git hub plan fal: not terms
  {
    CAPTURE(tokens);
    CHECK(joined(joiner, tokens) == tokens);
  }
}

TEST_CASE("a term of three words' letters; no terms joins nothing") {
  // "githubplan" as the caller split it (▁git ▁hub plan: this vocabulary has no "hub" inside a word): its letters are
  // what count, so three decoded words "git hub plan" become its pieces.
  const TermJoiner joiner({{11, 12, 8}}, kPieces);
  CHECK(joined(joiner, {7, 11, 12, 0, 7}) == std::vector<int32_t>{7, 11, 12, 8, 7});
  CHECK(TermJoiner({}, kPieces).find({7, 0, 3}).empty());
  CHECK(TermJoiner(kTerm, kPieces).find({7, 0, 3, 99}).empty());  // a token outside the vocabulary: nothing joined
  CHECK(joined(TermJoiner({{0, 99}, {0, 4, 2}}, kPieces), {0, 3}) == std::vector<int32_t>{0, 4, 2});
}

TEST_CASE("a joined term's pieces take the frames of the words they replace, its last the last word's") {
  const TermJoiner joiner(kTerm, kPieces);
  std::vector<Timed> tokens = timed({7, 9, 10, 1, 2, 7});  // the pl an fal se the: frames 0 to 5
  verbatim::join_terms(joiner, tokens, &Timed::id);
  std::vector<int32_t> ids;
  std::vector<int> frames;
  for (const Timed& t : tokens) {
    ids.push_back(t.id);
    frames.push_back(t.frame);
  }
  CHECK(ids == std::vector<int32_t>{7, 0, 4, 2, 7});
  CHECK(frames == std::vector<int>{0, 1, 2, 4, 5});
}
