#include "transducer/phrase_boost.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <stdexcept>
#include <string>
#include <utility>

namespace verbatim {

PhraseBoostTree::PhraseBoostTree(const std::vector<std::vector<int32_t>>& phrases, int vocab_size,
                                 std::vector<bool> joins_word)
    : vocab_size_(vocab_size), joins_word_(std::move(joins_word)), nodes_(1) {
  if (vocab_size <= 0) throw std::invalid_argument("a boosting tree needs a vocabulary");
  for (const std::vector<int32_t>& phrase : phrases) {
    int node = kRoot;
    for (std::size_t i = 0; i < phrase.size(); ++i) {
      const int32_t token = phrase[i];
      if (token < 0 || token >= vocab_size) {
        throw std::invalid_argument("boosted piece " + std::to_string(token) + " is outside the vocabulary of " +
                                    std::to_string(vocab_size));
      }
      int next = child(node, token);
      if (next < 0) {
        next = static_cast<int>(nodes_.size());
        Node added;
        added.token_score = 1.0f + static_cast<float>(std::log(static_cast<double>(i + 1)));
        added.node_score = nodes_[static_cast<std::size_t>(node)].node_score + added.token_score;
        added.depth = static_cast<int>(i) + 1;
        std::vector<Arc>& arcs = nodes_[static_cast<std::size_t>(node)].arcs;
        arcs.insert(std::lower_bound(arcs.begin(), arcs.end(), token,
                                     [](const Arc& a, int32_t t) { return a.token < t; }),
                    Arc{token, next});
        nodes_.push_back(added);  // after the insert: `arcs` refers into nodes_
      }
      node = next;
    }
    if (node != kRoot) nodes_[static_cast<std::size_t>(node)].is_end = true;
  }
  // Failure links, breadth first (Aho-Corasick): a node's is its parent's failure followed by the same piece, falling
  // back further while that piece does not follow.
  std::deque<int> queue;
  for (const Arc& arc : nodes_[kRoot].arcs) queue.push_back(arc.to);
  while (!queue.empty()) {
    const int node = queue.front();
    queue.pop_front();
    for (const Arc& arc : nodes_[static_cast<std::size_t>(node)].arcs) {
      int fail = nodes_[static_cast<std::size_t>(node)].fail;
      int next = child(fail, arc.token);
      while (next < 0 && fail != kRoot) {
        fail = nodes_[static_cast<std::size_t>(fail)].fail;
        next = child(fail, arc.token);
      }
      nodes_[static_cast<std::size_t>(arc.to)].fail = next >= 0 && next != arc.to ? next : kRoot;
      queue.push_back(arc.to);
    }
  }
}

int PhraseBoostTree::child(int node, int32_t token) const {
  const std::vector<Arc>& arcs = nodes_[static_cast<std::size_t>(node)].arcs;
  const auto found =
      std::lower_bound(arcs.begin(), arcs.end(), token, [](const Arc& a, int32_t t) { return a.token < t; });
  return found != arcs.end() && found->token == token ? found->to : -1;
}

float PhraseBoostTree::backoff(int node) const {
  const Node& n = nodes_[static_cast<std::size_t>(node)];
  return n.is_end ? 0.0f : nodes_[static_cast<std::size_t>(n.fail)].node_score - n.node_score;
}

void PhraseBoostTree::scores(int state, float* out) const {
  // The failure chain from `state` to the root, with what falling back to each costs.
  std::vector<std::pair<int, float>> chain{{state, 0.0f}};
  while (chain.back().first != kRoot) {
    const auto [node, cost] = chain.back();
    chain.emplace_back(nodes_[static_cast<std::size_t>(node)].fail, cost + backoff(node));
  }
  std::fill(out, out + vocab_size_, chain.back().second);
  // The deepest node with an arc for a token decides its score: fill from the root, deeper nodes overwriting.
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    for (const Arc& arc : nodes_[static_cast<std::size_t>(it->first)].arcs) {
      out[arc.token] = it->second + nodes_[static_cast<std::size_t>(arc.to)].token_score;
    }
  }
}

std::pair<int, float> PhraseBoostTree::advance(int state, int32_t token) const {
  float cost = 0;
  for (int node = state;; node = nodes_[static_cast<std::size_t>(node)].fail) {
    const int next = child(node, token);
    if (next >= 0) return {next, cost + nodes_[static_cast<std::size_t>(next)].token_score};
    if (node == kRoot) return {kRoot, cost};
    cost += backoff(node);
  }
}

PhraseBoostWalk::PhraseBoostWalk(const PhraseBoost& boost) : tree_(boost.tree), strength_(boost.strength) {
  if (tree_) scores_.resize(static_cast<std::size_t>(tree_->vocab_size()));
}

int32_t PhraseBoostWalk::choose(const float* logits) {
  tree_->scores(state_, scores_.data());
  int32_t best = 0;
  float best_score = logits[0] + strength_ * scores_[0];
  for (int32_t i = 1; i < tree_->vocab_size(); ++i) {
    const float score = logits[i] + strength_ * scores_[static_cast<std::size_t>(i)];
    if (score > best_score) {
      best = i;
      best_score = score;
    }
  }
  return best;
}

int32_t PhraseBoostWalk::overrule_blank(const float* logits, float blank_logit) {
  if (!tree_->partial(state_)) return -1;
  const int32_t token = choose(logits);
  const float boosted = logits[token] + strength_ * scores_[static_cast<std::size_t>(token)];
  const int next = tree_->advance(state_, token).first;
  return boosted > blank_logit && tree_->depth(next) == tree_->depth(state_) + 1 ? token : -1;
}

void PhraseBoostWalk::advance(int32_t token) {
  if (tree_) state_ = tree_->advance(state_, token).first;
}

}  // namespace verbatim
