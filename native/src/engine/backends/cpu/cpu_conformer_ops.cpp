// The CPU backend's operations for the conformer encoder and the LSTM (backends/tensor_ops.h says what each computes).
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "backends/cpu/blas.h"
#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/cpu_kernels.h"

namespace verbatim {
namespace {

void require(bool condition, const char* what) {
  if (!condition) throw std::invalid_argument(std::string("cpu backend: ") + what);
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace

CpuTensor CpuOps::unary(Tensor x, Unary kind) {
  cpu::unary(*pool_, kind, x.data.data(), static_cast<int64_t>(x.data.size()));
  return x;
}

CpuTensor CpuOps::scale(Tensor x, float s) const {
  for (float& v : x.data) v *= s;
  return x;
}

CpuTensor CpuOps::glu(const Tensor& x) const {
  require(x.cols % 2 == 0, "glu needs an even number of columns");
  const int64_t half = x.cols / 2;
  Tensor y(x.rows, half);
  for (int64_t r = 0; r < x.rows; ++r) {
    const float* in = x.row(r);
    float* out = y.row(r);
    cpu::gated(in, in + half, out, half);
  }
  return y;
}

CpuOps::DepthwiseParams CpuOps::depthwise_params(const std::vector<float>& weight, const std::vector<float>& bias,
                                                 int kernel) const {
  require(kernel > 0 && weight.size() % static_cast<std::size_t>(kernel) == 0,
          "depthwise weights are not whole kernels");
  const std::size_t channels = weight.size() / static_cast<std::size_t>(kernel);
  DepthwiseParams params{std::vector<float>(weight.size()), bias, kernel};
  for (std::size_t c = 0; c < channels; ++c) {
    for (std::size_t j = 0; j < static_cast<std::size_t>(kernel); ++j) {
      params.taps[j * channels + c] = weight[c * static_cast<std::size_t>(kernel) + j];
    }
  }
  return params;
}

CpuTensor CpuOps::depthwise_conv1d(const Tensor& x, const DepthwiseParams& params) {
  const int64_t channels = x.cols, k = params.kernel, pad = params.kernel / 2;
  require(static_cast<int64_t>(params.taps.size()) == channels * k &&
              static_cast<int64_t>(params.bias.size()) == channels,
          "depthwise weights do not match the input's channels");
  Tensor y(x.rows, channels);
  pool_->parallel_for(x.rows, [&](int64_t t, int) {
    float* out = y.row(t);
    std::copy(params.bias.begin(), params.bias.end(), out);
    for (int64_t j = 0; j < k; ++j) {
      const int64_t source = t + j - pad;
      if (source < 0 || source >= x.rows) continue;
      const float* in = x.row(source);
      const float* tap = params.taps.data() + j * channels;
      for (int64_t c = 0; c < channels; ++c) out[c] += tap[c] * in[c];
    }
  });
  return y;
}

CpuTensor CpuOps::conv2d(const Tensor& x, int64_t height, int64_t width, const Conv2dParams& p, int stride,
                         int padding) {
  require(height > 0 && width > 0 && x.cols == height * width, "conv2d input is not height x width planes");
  require(p.in_per_group > 0 && x.rows % p.in_per_group == 0, "conv2d input channels do not match the weights");
  const int64_t groups = x.rows / p.in_per_group;
  require(p.out_channels % groups == 0, "conv2d groups do not divide the output channels");
  const int64_t out_per_group = p.out_channels / groups;
  const int64_t kh = p.kernel_h, kw = p.kernel_w;
  const int64_t oh = (height + 2 * padding - kh) / stride + 1, ow = (width + 2 * padding - kw) / stride + 1;
  require(oh > 0 && ow > 0, "conv2d input is smaller than its kernel");
  if (kh == 1 && kw == 1 && stride == 1 && padding == 0 && groups == 1) {
    // Pointwise: one matrix product, (height*width, in) · (out, in)ᵀ, through BLAS.
    const Tensor xt = transpose(x);
    WeightMatrix w;
    w.format = WeightMatrix::Format::F32;
    w.rows = p.out_channels;
    w.cols = p.in_per_group;
    w.data = p.weight.data();
    Tensor yt(xt.rows, p.out_channels);
    cpu::matmul(*pool_, xt.data.data(), xt.rows, xt.cols, w, p.bias.data(), yt.data.data(), yt.cols);
    return transpose(yt);
  }
  Tensor y(p.out_channels, oh * ow);
  pool_->parallel_for(p.out_channels, [&](int64_t o, int) {
    const int64_t g = o / out_per_group;
    float* out = y.row(o);
    std::fill(out, out + oh * ow, p.bias[static_cast<std::size_t>(o)]);
    for (int64_t ci = 0; ci < p.in_per_group; ++ci) {
      const float* plane = x.row(g * p.in_per_group + ci);
      for (int64_t a = 0; a < kh; ++a) {
        for (int64_t b = 0; b < kw; ++b) {
          // MLX layout (out, kh, kw, in / groups).
          const float w = p.weight[static_cast<std::size_t>(((o * kh + a) * kw + b) * p.in_per_group + ci)];
          // The output columns whose input column j * stride + b - padding lies inside the plane, found once:
          // no test in the loop over them, which then vectorises.
          const int64_t shift = b - padding, reach = width - 1 - shift;
          const int64_t first = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
          const int64_t last = reach < 0 ? 0 : std::min(ow, reach / stride + 1);
          for (int64_t i = 0; i < oh; ++i) {
            const int64_t r = i * stride + a - padding;
            if (r < 0 || r >= height) continue;
            const float* in = plane + r * width;
            float* dst = out + i * ow;
            for (int64_t j = first; j < last; ++j) dst[j] += w * in[j * stride + shift];
          }
        }
      }
    }
  });
  return y;
}

CpuTensor CpuOps::planes_to_frames(const Tensor& x, int64_t height, int64_t width) const {
  require(x.cols == height * width, "planes are not height x width");
  Tensor y(height, x.rows * width);
  for (int64_t c = 0; c < x.rows; ++c) {
    for (int64_t t = 0; t < height; ++t) {
      std::copy(x.row(c) + t * width, x.row(c) + (t + 1) * width, y.row(t) + c * width);
    }
  }
  return y;
}

CpuTensor CpuOps::relative_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& pos,
                                     const Tensor& bias_u, const Tensor& bias_v, int heads) {
  // T queries, the last T of L keys (the first L - T: a cache of earlier frames).
  const int64_t T = q.rows, d = q.cols, L = k.rows;
  require(heads > 0 && d % heads == 0, "heads do not divide the width");
  require(L >= T && v.rows == L && k.cols == d && v.cols == d, "q, k and v differ in shape");
  require(pos.rows == 2 * L - 1 && pos.cols == d, "positions are not 2L-1 rows of the width");
  const int64_t hd = d / heads;
  require(bias_u.rows == heads && bias_u.cols == hd && bias_v.rows == heads && bias_v.cols == hd,
          "position biases are not heads x head_dim");
  const float inv_scale = 1.0f / std::sqrt(static_cast<float>(hd));
  Tensor out(T, d);
  // Per head and block of query rows, through BLAS: ac = (q + u)·kᵀ over all keys, and (q + v)·posᵀ over just the
  // positions the block's rows reach (L + rows - 1 of them), so memory stays linear in L.
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (T + kBlock - 1) / kBlock;
  pool_->parallel_for(heads * blocks, [&](int64_t index, int) {
    const int64_t h = index / blocks, i0 = (index % blocks) * kBlock, rows = std::min(kBlock, T - i0);
    const int64_t reach = L + rows - 1, first_pos = T - i0 - rows;
    std::vector<float> qu(static_cast<std::size_t>(rows * hd)), qv(static_cast<std::size_t>(rows * hd));
    for (int64_t r = 0; r < rows; ++r) {
      const float* qi = q.row(i0 + r) + h * hd;
      for (int64_t e = 0; e < hd; ++e) {
        qu[static_cast<std::size_t>(r * hd + e)] = qi[e] + bias_u.row(h)[e];
        qv[static_cast<std::size_t>(r * hd + e)] = qi[e] + bias_v.row(h)[e];
      }
    }
    std::vector<float> scores(static_cast<std::size_t>(rows * L)), bd(static_cast<std::size_t>(rows * reach));
    sgemm(false, true, static_cast<int>(rows), static_cast<int>(L), static_cast<int>(hd), 1.0f, qu.data(),
          static_cast<int>(hd), k.data.data() + h * hd, static_cast<int>(d), 0.0f, scores.data(), static_cast<int>(L));
    sgemm(false, true, static_cast<int>(rows), static_cast<int>(reach), static_cast<int>(hd), 1.0f, qv.data(),
          static_cast<int>(hd), pos.row(first_pos) + h * hd, static_cast<int>(d), 0.0f, bd.data(),
          static_cast<int>(reach));
    for (int64_t r = 0; r < rows; ++r) {
      // Query i0 + r is key L - T + i0 + r; key j sits at relative position L - T + i0 + r - j: pos row
      // T - 1 - (i0 + r) + j.
      float* row = scores.data() + r * L;
      const float* shifted = bd.data() + r * reach + (rows - 1 - r);
      for (int64_t j = 0; j < L; ++j) row[j] = (row[j] + shifted[j]) * inv_scale;
      cpu::softmax(row, L);
    }
    std::vector<float> attended(static_cast<std::size_t>(rows * hd));
    sgemm(false, false, static_cast<int>(rows), static_cast<int>(hd), static_cast<int>(L), 1.0f, scores.data(),
          static_cast<int>(L), v.data.data() + h * hd, static_cast<int>(d), 0.0f, attended.data(),
          static_cast<int>(hd));
    for (int64_t r = 0; r < rows; ++r) {
      std::copy(attended.begin() + r * hd, attended.begin() + (r + 1) * hd, out.row(i0 + r) + h * hd);
    }
  });
  return out;
}

std::pair<CpuTensor, CpuTensor> CpuOps::lstm_cell(const Tensor& gates, const Tensor& c) const {
  const int64_t H = c.cols;
  require(gates.rows == c.rows && gates.cols == 4 * H, "LSTM gates are not 4 x the state");
  Tensor h(c.rows, H), next(c.rows, H);
  for (int64_t r = 0; r < c.rows; ++r) {
    const float* g = gates.row(r);
    for (int64_t e = 0; e < H; ++e) {
      const float in = sigmoid(g[e]), forget = sigmoid(g[H + e]), cell = std::tanh(g[2 * H + e]),
                  output = sigmoid(g[3 * H + e]);
      next.row(r)[e] = forget * c.row(r)[e] + in * cell;
      h.row(r)[e] = output * std::tanh(next.row(r)[e]);
    }
  }
  return {std::move(h), std::move(next)};
}

}  // namespace verbatim
