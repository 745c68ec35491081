// Phrase boosting for greedy transducer decoding, as NeMo's boosting tree does it (context_graph_universal.py, an
// Aho-Corasick tree after icefall's ContextGraph, and boosting_graph_batched.py's acceptor over it): the user's terms,
// each as one or more sequences of the model's pieces, make a prefix tree; a token that continues a match gets the
// piece's bonus, a token that leaves a partial match gives back what the match had gained (it falls back to the
// longest match that still holds, Aho-Corasick's failure link), and a completed term keeps its bonus.
// Greedy decoding applies it as NeMo's greedy fusion does (tdt_label_looping.py): whether a step emits a token or the
// blank is the model's own decision, and only which token it emits is chosen with the bonus added, so boosting
// never adds tokens where the model heard none.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace verbatim {

// The strength when the options give none: NeMo's per-piece score, in logits (measured: test/bench/README.md,
// "Vocabulary boosting on Parakeet").
constexpr float kDefaultBoostStrength = 2.0f;

class PhraseBoostTree {
 public:
  // `phrases`: piece-id sequences in [0, vocab_size) (empty ones are skipped). A piece at depth i (0-based) of a
  // phrase scores 1 + ln(i + 1) (NeMo's context_score 1 with depth_scaling 1), so later pieces of a long term,
  // which the model already expects once the term has begun, are pushed harder than its first.
  PhraseBoostTree(const std::vector<std::vector<int32_t>>& phrases, int vocab_size);

  int vocab_size() const { return vocab_size_; }
  std::size_t nodes() const { return nodes_.size(); }
  static constexpr int kRoot = 0;

  // The score of every token from `state` into out[0, vocab_size): the bonus of the piece that continues the match
  // (or, after falling back, a shorter one, or starts one), less what the match gave up on the way back (0 from the
  // root for a token that starts nothing; nothing is given back after a whole phrase).
  void scores(int state, float* out) const;
  // The state after `token`, and the score it earned (the same as scores()'s entry for it).
  std::pair<int, float> advance(int state, int32_t token) const;

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
  };
  int child(int node, int32_t token) const;
  // What leaving `node` by its failure link costs: its bonuses less the failure node's (0 after a whole phrase).
  float backoff(int node) const;

  int vocab_size_;
  std::vector<Node> nodes_;
};

// A job's boosting: its terms' tree (none: no boosting) and how strongly it pushes.
struct PhraseBoost {
  std::shared_ptr<const PhraseBoostTree> tree;
  float strength = kDefaultBoostStrength;
};

// One greedy decode's walk through a tree (its state is per decode: per chunk of a file, per live update).
class PhraseBoostWalk {
 public:
  PhraseBoostWalk() = default;
  explicit PhraseBoostWalk(const PhraseBoost& boost);

  bool active() const { return tree_ && strength_ > 0; }
  // The token to emit where the model's own argmax over the tokens and the blank is a token: the argmax of
  // logits[0, V) plus strength x the tree's scores from the current state (ties to the lowest id).
  int32_t choose(const float* logits);
  // Moves the walk on by an emitted token.
  void advance(int32_t token);

 private:
  std::shared_ptr<const PhraseBoostTree> tree_;
  float strength_ = 0;
  int state_ = PhraseBoostTree::kRoot;
  std::vector<float> scores_;
};

}  // namespace verbatim
