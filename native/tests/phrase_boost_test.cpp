// Phrase boosting (transducer/phrase_boost.h): the tree's scores worked out by hand from NeMo's ContextGraph and
// boosting tree (a piece at depth i scores 1 + ln(i + 1); leaving a partial match gives back its bonuses), and the
// walk's choice of a token. The measured effect on a trained model is test/e2e/parakeet-boost.test.ts's.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "options/option_values.h"
#include "transducer/phrase_boost.h"
#include "transducer/phrase_boost_options.h"

namespace {

using verbatim::PhraseBoost;
using verbatim::PhraseBoostTree;
using verbatim::PhraseBoostWalk;

constexpr int V = 8;
// A vocabulary of V pieces: word starts, pieces that go on with a word, punctuation.
const std::vector<std::string> kPieces{"\xE2\x96\x81" "a", "b", "c", "\xE2\x96\x81" "d", ".", "e", "?!", "\xE2\x96\x81"};
const float kSecond = 1.0f + std::log(2.0f);  // a phrase's second piece
const float kThird = 1.0f + std::log(3.0f);

std::vector<float> scores_from(const PhraseBoostTree& tree, int state) {
  std::vector<float> out(static_cast<std::size_t>(tree.vocab_size()));
  tree.scores(state, out.data());
  return out;
}

int walk(const PhraseBoostTree& tree, const std::vector<int32_t>& tokens) {
  int state = PhraseBoostTree::kRoot;
  for (int32_t t : tokens) state = tree.advance(state, t).first;
  return state;
}

}  // namespace

TEST_CASE("phrase boost: from the root only a phrase's first piece scores") {
  const PhraseBoostTree tree({{1, 2, 3}, {4}}, V);
  CHECK(tree.nodes() == 5);  // the root and four pieces
  CHECK(scores_from(tree, PhraseBoostTree::kRoot) == std::vector<float>{0, 1, 0, 0, 1, 0, 0, 0});
}

TEST_CASE("phrase boost: a match goes on with growing bonuses, and leaving it gives them back") {
  const PhraseBoostTree tree({{1, 2, 3}, {4}}, V);
  const int after_1 = walk(tree, {1});
  std::vector<float> s = scores_from(tree, after_1);
  CHECK(s[2] == doctest::Approx(kSecond));
  CHECK(s[0] == doctest::Approx(-1));  // the first piece's bonus given back
  CHECK(s[4] == doctest::Approx(0));   // given back, then a one-piece phrase whole
  CHECK(s[1] == doctest::Approx(0));   // given back, and the phrase begun again
  const int after_12 = walk(tree, {1, 2});
  s = scores_from(tree, after_12);
  CHECK(s[3] == doctest::Approx(kThird));
  CHECK(s[5] == doctest::Approx(-(1 + kSecond)));
  // The whole phrase keeps its bonus: what follows it scores as from the root.
  CHECK(scores_from(tree, walk(tree, {1, 2, 3})) == scores_from(tree, PhraseBoostTree::kRoot));
  CHECK(walk(tree, {1, 2, 5}) == PhraseBoostTree::kRoot);
}

TEST_CASE("phrase boost: a failing match falls back to the longest match that still holds (Aho-Corasick)") {
  // "1 2 3" and "2 4": after 1 2, the piece 4 leaves the first phrase but continues the second from its "2".
  const PhraseBoostTree tree({{1, 2, 3}, {2, 4}}, V);
  const int after_12 = walk(tree, {1, 2});
  const std::vector<float> s = scores_from(tree, after_12);
  CHECK(s[3] == doctest::Approx(kThird));
  CHECK(s[4] == doctest::Approx(-(1 + kSecond) + 1 + kSecond));  // back to "2" (node score 1), then 4 (1 + ln 2)
  CHECK(s[2] == doctest::Approx(-(1 + kSecond) + 1 + 0 - 1 + 1));  // back to "2", back to the root, "2" again: 0
  CHECK(walk(tree, {1, 2, 4}) == walk(tree, {2, 4}));
}

TEST_CASE("phrase boost: shared prefixes share nodes, and a phrase inside a longer one keeps its bonus") {
  const PhraseBoostTree tree({{1, 2}, {1, 2, 3}, {1, 2}}, V);
  CHECK(tree.nodes() == 4);
  const std::vector<float> s = scores_from(tree, walk(tree, {1, 2}));
  CHECK(s[3] == doctest::Approx(kThird));
  CHECK(s[5] == doctest::Approx(0));  // "1 2" is whole: nothing to give back
}

TEST_CASE("phrase boost: advance earns what scores() says, on random phrases and walks") {
  std::mt19937 random(7);
  std::uniform_int_distribution<int> token(0, 5);  // few pieces: many shared prefixes and failures
  std::vector<std::vector<int32_t>> phrases(40);
  for (auto& phrase : phrases) {
    phrase.resize(static_cast<std::size_t>(1 + token(random) % 4));
    for (int32_t& t : phrase) t = token(random);
  }
  const PhraseBoostTree tree(phrases, V);
  int state = PhraseBoostTree::kRoot;
  double earned = 0;
  for (int step = 0; step < 500; ++step) {
    const std::vector<float> s = scores_from(tree, state);
    for (int32_t t = 0; t < V; ++t) CHECK(tree.advance(state, t).second == doctest::Approx(s[static_cast<std::size_t>(t)]));
    const auto [next, score] = tree.advance(state, token(random));
    earned += score;
    state = next;
    CHECK(earned >= -1e-4);  // what is given back was gained first
  }
}

TEST_CASE("phrase boost: the walk picks the boosted token where the model's logits are close, not where they are far") {
  const auto tree = std::make_shared<const PhraseBoostTree>(std::vector<std::vector<int32_t>>{{3, 5}}, V);
  PhraseBoostWalk walk(PhraseBoost{tree, 2.0f, nullptr});
  REQUIRE(walk.active());
  std::vector<float> logits(V, 0.0f);
  logits[2] = 1.5f;  // 3 gets +2
  CHECK(walk.choose(logits.data()) == 3);
  logits[2] = 2.5f;
  CHECK(walk.choose(logits.data()) == 2);
  walk.advance(3);
  logits[5] = 1.0f;  // 5 continues the phrase: +2 (1 + ln 2); 2 leaves it: -2
  CHECK(walk.choose(logits.data()) == 5);
  CHECK_FALSE(PhraseBoostWalk(PhraseBoost{tree, 0.0f, nullptr}).active());
  CHECK_FALSE(PhraseBoostWalk(PhraseBoost{}).active());
}

TEST_CASE("phrase boost: options give phrases of piece ids and a strength, and refuse what is not") {
  using verbatim::OptionValue;
  using verbatim::OptionValues;
  const OptionValues given{{"boostPhrases", OptionValue(std::vector<OptionValue>{
                                                std::vector<OptionValue>{1, 2}, std::vector<OptionValue>{4}})},
                           {"boostStrength", OptionValue(3.5)}};
  const PhraseBoost boost = verbatim::read_phrase_boost(given, kPieces);
  REQUIRE(static_cast<bool>(boost.tree));
  CHECK(boost.tree->nodes() == 4);
  CHECK(boost.strength == 3.5f);
  CHECK(static_cast<bool>(boost.joiner));  // the same terms, for writing a term heard as its parts
  for (int32_t id = 0; id < V; ++id) CHECK(boost.tree->joins_word(id) == (id == 1 || id == 2 || id == 5));
  CHECK_FALSE(static_cast<bool>(verbatim::read_phrase_boost({}, kPieces).tree));
  CHECK_FALSE(static_cast<bool>(verbatim::read_phrase_boost({}, kPieces).joiner));
  CHECK(verbatim::read_phrase_boost({}, kPieces).strength == verbatim::kDefaultBoostStrength);
  CHECK_THROWS_WITH_AS(verbatim::read_phrase_boost({{"boostPhrases", OptionValue(std::vector<OptionValue>{
                                                                         std::vector<OptionValue>{1, V}})}},
                                                   kPieces),
                       doctest::Contains("boostPhrases"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(verbatim::read_phrase_boost({{"boostPhrases", OptionValue(3)}}, kPieces),
                       doctest::Contains("boostPhrases"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(verbatim::read_phrase_boost({{"boostStrength", OptionValue(-1)}}, kPieces),
                       doctest::Contains("boostStrength"), std::invalid_argument);
}
