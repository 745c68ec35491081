// Phrase boosting for greedy transducer decoding, as NeMo's boosting tree does it (context_graph_universal.py, an
// Aho-Corasick tree after icefall's ContextGraph, and boosting_graph_batched.py's acceptor over it): the user's terms,
// each as one or more sequences of the model's pieces, make a prefix tree; a token that continues a match gets the
// piece's bonus, a token that leaves a partial match gives back what the match had gained (it falls back to the
// longest match that still holds, Aho-Corasick's failure link), and a completed term keeps its bonus.
// Greedy decoding applies it as NeMo's greedy fusion does (tdt_label_looping.py, rnnt_label_looping.py): whether a
// step emits a token or the blank is the model's own decision, and only which token it emits is chosen with the bonus
// added; only inside a term begun may its next piece overrule a blank (overrule_blank). Greedy TDT also takes back a
// term that does not finish, or reads worse than the model's own words (parakeet/tdt_decoding.cpp, native/PARAKEET.md
// "Vocabulary boosting"); a stream's greedy RNN-T takes back a term that does not finish, holding a term's tokens back
// from its output until the term is whole (nemotron/nemotron_model.h, native/NEMOTRON.md "Vocabulary boosting and the
// token mask").
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "transducer/term_joining.h"

namespace verbatim {

// The strength when the options give none: NeMo's per-piece score, in logits (measured: test/bench/README.md,
// "Vocabulary boosting on Parakeet").
constexpr float kDefaultBoostStrength = 4.0f;

class PhraseBoostTree {
 public:
  // `phrases`: piece-id sequences in [0, vocab_size) (empty ones are skipped). A piece at depth i (0-based) of a
  // phrase scores 1 + ln(i + 1) (NeMo's context_score 1 with depth_scaling 1), so later pieces of a long term,
  // which the model already expects once the term has begun, are pushed harder than its first. `joins_word`: which
  // pieces would go on with the word before them (neither a word start nor punctuation); a term is a whole word, so
  // one of these right after it undoes it. Empty: none does.
  PhraseBoostTree(const std::vector<std::vector<int32_t>>& phrases, int vocab_size,
                  std::vector<bool> joins_word = {});

  int vocab_size() const { return vocab_size_; }
  bool joins_word(int32_t token) const {
    return static_cast<std::size_t>(token) < joins_word_.size() && joins_word_[static_cast<std::size_t>(token)];
  }
  std::size_t nodes() const { return nodes_.size(); }
  static constexpr int kRoot = 0;

  // The score of every token from `state` into out[0, vocab_size): the bonus of the piece that continues the match
  // (or, after falling back, a shorter one, or starts one), less what the match gave up on the way back (0 from the
  // root for a token that starts nothing; nothing is given back after a whole phrase).
  void scores(int state, float* out) const;
  // The state after `token`, and the score it earned (the same as scores()'s entry for it).
  std::pair<int, float> advance(int state, int32_t token) const;
  // Whether `state` is inside a phrase: begun, not yet whole.
  bool partial(int state) const { return state != kRoot && !nodes_[static_cast<std::size_t>(state)].is_end; }
  // Whether a whole phrase ends at `state`.
  bool whole(int state) const { return nodes_[static_cast<std::size_t>(state)].is_end; }
  // The pieces from the root to `state`, and their bonuses.
  int depth(int state) const { return nodes_[static_cast<std::size_t>(state)].depth; }
  float bonus(int state) const { return nodes_[static_cast<std::size_t>(state)].node_score; }

 private:
  struct Arc {
    int32_t token;
    int to;
  };
  struct Node {
    std::vector<Arc> arcs;  // sorted by token
    int fail = kRoot;       // the longest proper suffix of this node's pieces that is a prefix in the tree
    float token_score = 0;  // the bonus of the piece that reaches this node
    float node_score = 0;   // the bonuses from the root to here
    bool is_end = false;    // a whole phrase ends here
    int depth = 0;
  };
  int child(int node, int32_t token) const;
  // What leaving `node` by its failure link costs: its bonuses less the failure node's (0 after a whole phrase).
  float backoff(int node) const;

  int vocab_size_;
  std::vector<bool> joins_word_;
  std::vector<Node> nodes_;
};

// A job's boosting: its terms' tree (none: no boosting), how strongly it pushes, and the terms as their letters, for
// writing a term the model heard as its parts (transducer/term_joining.h; none: not done).
struct PhraseBoost {
  std::shared_ptr<const PhraseBoostTree> tree;
  float strength = kDefaultBoostStrength;
  std::shared_ptr<const TermJoiner> joiner;
};

// One greedy decode's walk through a tree: per decode on Parakeet (each chunk of a file, each live update), per stream
// on Nemotron (going on from chunk to chunk).
class PhraseBoostWalk {
 public:
  PhraseBoostWalk() = default;
  explicit PhraseBoostWalk(const PhraseBoost& boost);

  bool active() const { return tree_ && strength_ > 0; }
  // Inside a begun phrase; at the end of a whole one.
  bool partial() const { return tree_ && tree_->partial(state_); }
  bool whole() const { return tree_ && tree_->whole(state_); }
  int depth() const { return tree_ ? tree_->depth(state_) : 0; }
  // strength x the bonuses of the pieces matched so far.
  float bonus() const { return tree_ ? strength_ * tree_->bonus(state_) : 0.0f; }
  bool joins_word(int32_t token) const { return tree_ && tree_->joins_word(token); }
  // The token to emit where the model's own argmax over the tokens and the blank is a token: the argmax of
  // logits[0, V) plus strength x the tree's scores from the current state (ties to the lowest id).
  int32_t choose(const float* logits);
  // Where the model's argmax is the blank: the token that continues a begun phrase when its logit plus the bonus beats
  // the blank's `blank_logit`, else -1 (the blank). Outside a phrase, always -1.
  int32_t overrule_blank(const float* logits, float blank_logit);
  // Moves the walk on by an emitted token.
  void advance(int32_t token);
  // Back to the root: no phrase begun.
  void restart() { state_ = PhraseBoostTree::kRoot; }

 private:
  std::shared_ptr<const PhraseBoostTree> tree_;
  float strength_ = 0;
  int state_ = PhraseBoostTree::kRoot;
  std::vector<float> scores_;
};

}  // namespace verbatim
