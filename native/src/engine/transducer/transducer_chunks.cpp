#include "transducer/transducer_chunks.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace verbatim {
namespace {

using Pairs = std::vector<std::pair<std::size_t, std::size_t>>;  // (index in a's overlap, index in b's overlap)

// The overlap region of two chunks' tokens: a's tokens from `a_first` on, b's first `b_count`.
struct Overlap {
  const std::vector<TokenTiming>& a;
  const std::vector<TokenTiming>& b;
  std::size_t a_first = 0;
  std::size_t a_count = 0;
  std::size_t b_count = 0;
  double tolerance = 0;  // half the overlap

  bool pairs(std::size_t i, std::size_t j) const {
    const TokenTiming& x = a[a_first + i];
    const TokenTiming& y = b[j];
    return x.token == y.token && std::abs(x.start - y.start) < tolerance;
  }
};

std::vector<TokenTiming> cut_at_middle(std::vector<TokenTiming> a, const std::vector<TokenTiming>& b) {
  const double cutoff = (a.back().end + b.front().start) / 2;
  std::vector<TokenTiming> out;
  for (const TokenTiming& t : a) {
    if (t.end <= cutoff) out.push_back(t);
  }
  for (const TokenTiming& t : b) {
    if (t.start >= cutoff) out.push_back(t);
  }
  return out;
}

Pairs longest_contiguous(const Overlap& o) {
  Pairs best;
  for (std::size_t i = 0; i < o.a_count; ++i) {
    for (std::size_t j = 0; j < o.b_count; ++j) {
      std::size_t length = 0;
      while (i + length < o.a_count && j + length < o.b_count && o.pairs(i + length, j + length)) ++length;
      if (length > best.size()) {
        best.clear();
        for (std::size_t k = 0; k < length; ++k) best.emplace_back(i + k, j + k);
      }
    }
  }
  return best;
}

Pairs longest_common_subsequence(const Overlap& o) {
  const std::size_t n = o.a_count, m = o.b_count;
  std::vector<std::size_t> table((n + 1) * (m + 1), 0);
  const auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return table[i * (m + 1) + j]; };
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      at(i, j) = o.pairs(i - 1, j - 1) ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  Pairs pairs;
  std::size_t i = n, j = m;
  while (i > 0 && j > 0) {
    if (o.pairs(i - 1, j - 1)) {
      pairs.emplace_back(i - 1, j - 1);
      --i, --j;
    } else if (at(i - 1, j) > at(i, j - 1)) {
      --i;
    } else {
      --j;
    }
  }
  std::reverse(pairs.begin(), pairs.end());
  return pairs;
}

// a before the first pair, each pair once (a's token) with the longer of the two gaps after it, b after the last.
std::vector<TokenTiming> splice(const Overlap& o, const Pairs& pairs) {
  const std::vector<TokenTiming>& a = o.a;
  const std::vector<TokenTiming>& b = o.b;
  std::vector<TokenTiming> out(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(o.a_first + pairs.front().first));
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    const std::size_t ia = o.a_first + pairs[k].first, ib = pairs[k].second;
    out.push_back(a[ia]);
    if (k + 1 == pairs.size()) break;
    const std::size_t next_a = o.a_first + pairs[k + 1].first, next_b = pairs[k + 1].second;
    const auto at = [](const std::vector<TokenTiming>& v, std::size_t i) {
      return v.begin() + static_cast<std::ptrdiff_t>(i);
    };
    if (next_b - ib > next_a - ia) {
      out.insert(out.end(), at(b, ib + 1), at(b, next_b));
    } else {
      out.insert(out.end(), at(a, ia + 1), at(a, next_a));
    }
  }
  out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(pairs.back().second + 1), b.end());
  return out;
}

}  // namespace

void check_chunking(const ChunkingOptions& options) {
  if (!(options.chunk_seconds >= 1 && options.chunk_seconds <= kMaxChunkSeconds)) {
    throw std::invalid_argument("the chunk length must be from 1 to " + std::to_string(int(kMaxChunkSeconds)) +
                                " seconds");
  }
  if (!(options.overlap_seconds >= 0 && options.overlap_seconds <= options.chunk_seconds / 2)) {
    throw std::invalid_argument("the chunk overlap must be from 0 seconds to half the chunk length");
  }
}

std::vector<SampleRange> plan_chunks(std::size_t n, int sample_rate, const ChunkingOptions& options) {
  check_chunking(options);
  const auto chunk = static_cast<std::size_t>(options.chunk_seconds * sample_rate);
  const auto overlap = static_cast<std::size_t>(options.overlap_seconds * sample_rate);
  if (n <= chunk) return {{0, n}};
  std::vector<SampleRange> chunks;
  for (std::size_t first = 0;; first += chunk - overlap) {
    const std::size_t end = std::min(first + chunk, n);
    chunks.push_back({first, end - first});
    if (end == n) return chunks;
  }
}

ChunkingOptions read_chunking_options(const OptionValues& values) {
  const OptionReader reader(values);
  ChunkingOptions chunking;
  reader.with("chunkSeconds", [&](const OptionValue& v, const char* n) {
    chunking.chunk_seconds = OptionReader::checked_number(v, n, 1, kMaxChunkSeconds);
    chunking.overlap_seconds = std::min(chunking.overlap_seconds, chunking.chunk_seconds / 2);
  });
  reader.number("chunkOverlapSeconds", chunking.overlap_seconds, 0, kMaxChunkSeconds / 2);
  check_chunking(chunking);
  return chunking;
}

std::vector<TokenTiming> merge_chunk_tokens(std::vector<TokenTiming> merged, const std::vector<TokenTiming>& next,
                                            double overlap_seconds) {
  if (merged.empty()) return next;
  if (next.empty()) return merged;
  const double a_end = merged.back().end, b_start = next.front().start;
  if (a_end <= b_start) {
    merged.insert(merged.end(), next.begin(), next.end());
    return merged;
  }
  Overlap o{merged, next};
  o.tolerance = overlap_seconds / 2;
  o.a_first = merged.size();
  for (std::size_t i = 0; i < merged.size(); ++i) {
    if (merged[i].end > b_start - overlap_seconds) {
      o.a_first = i;
      break;
    }
  }
  o.a_count = merged.size() - o.a_first;
  while (o.b_count < next.size() && next[o.b_count].start < a_end + overlap_seconds) ++o.b_count;
  if (o.a_count < 2 || o.b_count < 2) return cut_at_middle(std::move(merged), next);

  Pairs pairs = longest_contiguous(o);
  if (pairs.size() < o.a_count / 2) pairs = longest_common_subsequence(o);
  if (pairs.empty()) return cut_at_middle(std::move(merged), next);
  return splice(o, pairs);
}

}  // namespace verbatim
