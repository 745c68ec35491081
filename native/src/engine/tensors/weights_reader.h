// Reading a model's tensors from its safetensors file, checked as every family checks them: present, of the
// expected shape and a float dtype, every value finite, each used once (check_all_used: an extra tensor is refused).
// Matrices are held as stored (fp16, bf16; fp32 too, or as bf16 where the family's policy says), packed at load
// to MLX's affine bits when asked, or as the file packed them. Shared by the families' loaders.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "formats/affine_quantize.h"
#include "formats/finite_values.h"
#include "formats/half.h"
#include "formats/mapped_file.h"
#include "formats/tensor_file.h"
#include "tensors/convolution.h"
#include "tensors/layer_norm.h"
#include "tensors/linear.h"
#include "tensors/quantization.h"
#include "tensors/weight_matrix.h"

namespace verbatim {

// What a loaded model's matrices point into: its mapped files and the buffers made at load.
struct HeldWeights {
  std::vector<std::unique_ptr<TensorFile>> files;          // owns the mappings the pointers refer to
  std::vector<std::vector<uint8_t>> converted_tensors;     // fp32 matrices held as bf16 (f32_as_bf16)
  std::vector<PackedMatrix> packed_tensors;                // matrices packed at load ("quantize")
  std::vector<std::shared_ptr<const void>> kernel_layouts;  // packed matrices as a backend's kernels lay them out
};

struct WeightPolicy {
  std::optional<Quantization> quantize;             // pack float matrices whose width is a multiple of its group
  std::optional<Quantization> stored_quantization;  // the file's MLX-quantized matrices
  bool f32_as_bf16 = true;                          // fp32 matrices held as bf16 (parakeet-mlx's cast)
  // Where set, each matrix packed at load is laid out by it (a backend's kernel_weights) and the packed copy freed,
  // so that the model holds one copy, in the layout the backend multiplies fastest.
  std::function<KernelWeights(const WeightMatrix&)> kernel_layout;
};

inline int64_t product(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

inline std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

class WeightsReader {
 public:
  WeightsReader(const TensorFile& file, HeldWeights& held, WeightPolicy policy)
      : file_(file), held_(held), policy_(policy) {}

  const TensorView& view(const std::string& name, const std::vector<int64_t>& shape) {
    const TensorView* v = file_.find(name);
    if (v == nullptr) throw FormatError(file_.path() + ": tensor \"" + name + "\" is missing");
    if (v->dtype != DType::F32 && v->dtype != DType::F16 && v->dtype != DType::BF16) {
      throw FormatError(file_.path() + ": tensor \"" + name + "\" is " + dtype_name(v->dtype) +
                        ", not F32, F16 or BF16");
    }
    if (v->shape != shape) {
      throw FormatError(file_.path() + ": tensor \"" + name + "\" has shape " + shape_text(v->shape) + ", expected " +
                        shape_text(shape));
    }
    used_.insert(name);
    return *v;
  }

  // A tensor the model computes with, every value of it checked to be finite.
  const TensorView& finite_view(const std::string& name, const std::vector<int64_t>& shape) {
    const TensorView& v = view(name, shape);
    check_finite(file_.path(), name, v);
    return v;
  }

  std::vector<float> floats(const std::string& name, const std::vector<int64_t>& shape) {
    const TensorView& v = finite_view(name, shape);
    std::vector<float> out(static_cast<std::size_t>(product(shape)));
    const std::size_t size = dtype_size(v.dtype);
    for (std::size_t i = 0; i < out.size(); ++i) {
      const uint8_t* p = v.data + i * size;
      if (v.dtype == DType::F32) {
        std::memcpy(&out[i], p, 4);
      } else {
        uint16_t bits;
        std::memcpy(&bits, p, 2);
        out[i] = v.dtype == DType::F16 ? half_to_float(bits) : bf16_to_float(bits);
      }
    }
    return out;
  }

  Vector vector(const std::string& name, int64_t size) {
    const TensorView& v = finite_view(name, {size});
    return Vector{v.dtype, size, v.data};
  }

  // A matrix held as fp16 / bf16 (fp32 is converted to bf16, as parakeet-mlx casts after loading), packed at load
  // when the config asks and its width allows, or as the file packed it. Pages read to convert or pack are released.
  // Its values are checked to be finite as they are read: while converting or packing, else by a scan.
  WeightMatrix matrix(const std::string& name, const std::vector<int64_t>& shape, int64_t rows, int64_t cols) {
    const std::string suffix = ".weight";
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      const std::string prefix = name.substr(0, name.size() - suffix.size());
      if (file_.find(prefix + ".scales") != nullptr) return stored_quantized(prefix, rows, cols);
    }
    const TensorView& v = view(name, shape);
    WeightMatrix m;
    m.rows = rows;
    m.cols = cols;
    std::vector<uint8_t> converted;
    if (v.dtype == DType::F32 && policy_.f32_as_bf16) {
      converted.resize(static_cast<std::size_t>(rows * cols) * 2);
      for (int64_t i = 0; i < rows * cols; ++i) {
        float f;
        std::memcpy(&f, v.data + i * 4, 4);
        if (!std::isfinite(f)) fail_non_finite(file_.path(), name, v.dtype, v.data, i, rows * cols);
        const uint16_t bits = float_to_bf16(f);
        if (!std::isfinite(bf16_to_float(bits))) fail_beyond_bf16(name, f, i, rows * cols);
        std::memcpy(converted.data() + i * 2, &bits, 2);
      }
      m.format = WeightMatrix::Format::BF16;
      m.data = converted.data();
    } else {
      m.format = v.dtype == DType::F32   ? WeightMatrix::Format::F32
                 : v.dtype == DType::F16 ? WeightMatrix::Format::F16
                                         : WeightMatrix::Format::BF16;
      m.data = v.data;
    }
    const std::optional<Quantization>& q = policy_.quantize;
    if (q && cols % q->group_size == 0) {
      held_.packed_tensors.push_back(affine_quantize(m, q->bits, q->group_size));
      const int64_t non_finite = held_.packed_tensors.back().first_non_finite;
      if (non_finite >= 0) {
        fail_non_finite(file_.path(), name, dense_dtype(m.format), static_cast<const uint8_t*>(m.data), non_finite,
                        rows * cols);
      }
      release_mapped_pages(v.data, v.nbytes);
      const WeightMatrix packed =
          packed_matrix(held_.packed_tensors.back(), rows, cols, q->bits, q->group_size, dense_dtype(m.format));
      if (!policy_.kernel_layout) return packed;
      KernelWeights laid_out = policy_.kernel_layout(packed);
      if (!laid_out.storage) return packed;
      held_.kernel_layouts.push_back(std::move(laid_out.storage));
      held_.packed_tensors.pop_back();
      return laid_out.matrix;
    }
    if (!converted.empty()) {
      held_.converted_tensors.push_back(std::move(converted));
      m.data = held_.converted_tensors.back().data();
      release_mapped_pages(v.data, v.nbytes);
    } else {
      check_finite(file_.path(), name, v);
    }
    return m;
  }

  [[noreturn]] void fail_beyond_bf16(const std::string& name, float value, int64_t index, int64_t count) const {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", static_cast<double>(value));
    throw FormatError(file_.path() + ": tensor \"" + name + "\" holds " + text + " (element " + std::to_string(index) +
                      " of " + std::to_string(count) + ", F32), beyond the range of bf16 that its values are held "
                      "in: the model's weights are damaged or were converted wrongly");
  }

  // An MLX-quantized matrix: `.weight` uint32 (rows, cols * bits / 32), `.scales` and `.biases` (rows, cols / group)
  // of one float dtype, with the config's "quantization".
  WeightMatrix stored_quantized(const std::string& prefix, int64_t rows, int64_t cols) {
    const std::string weight = prefix + ".weight", scales = prefix + ".scales", biases = prefix + ".biases";
    const std::optional<Quantization>& q = policy_.stored_quantization;
    if (!q) {
      throw FormatError(file_.path() + ": tensor \"" + scales + "\" marks \"" + prefix +
                        "\" as quantized, but config.json has no \"quantization\" block (bits, group_size)");
    }
    if (cols % q->group_size != 0) {
      throw FormatError(file_.path() + ": tensor \"" + scales + "\": a quantized layer needs its " +
                        std::to_string(cols) + " input features to be a multiple of the group size " +
                        std::to_string(q->group_size));
    }
    const TensorView& packed = typed_view(weight, {rows, cols * q->bits / 32}, {DType::U32});
    const TensorView& s = typed_view(scales, {rows, cols / q->group_size}, {DType::F32, DType::F16, DType::BF16});
    const TensorView& b = typed_view(biases, {rows, cols / q->group_size}, {s.dtype});
    check_finite(file_.path(), scales, s);
    check_finite(file_.path(), biases, b);
    WeightMatrix m;
    m.format = WeightMatrix::Format::Quantized;
    m.rows = rows;
    m.cols = cols;
    m.data = packed.data;
    m.bits = q->bits;
    m.group_size = q->group_size;
    m.scale_dtype = s.dtype;
    m.scales = s.data;
    m.biases = b.data;
    return m;
  }

  const TensorView& typed_view(const std::string& name, const std::vector<int64_t>& shape,
                               const std::vector<DType>& dtypes) {
    const TensorView* v = file_.find(name);
    if (v == nullptr) throw FormatError(file_.path() + ": tensor \"" + name + "\" is missing");
    if (std::find(dtypes.begin(), dtypes.end(), v->dtype) == dtypes.end()) {
      std::string wanted;
      for (DType d : dtypes) wanted += (wanted.empty() ? "" : " or ") + std::string(dtype_name(d));
      throw FormatError(file_.path() + ": tensor \"" + name + "\" is " + dtype_name(v->dtype) + ", not " + wanted);
    }
    if (v->shape != shape) {
      throw FormatError(file_.path() + ": tensor \"" + name + "\" has shape " + shape_text(v->shape) + ", expected " +
                        shape_text(shape));
    }
    used_.insert(name);
    return *v;
  }

  Linear linear(const std::string& name, int64_t out, int64_t in, bool bias, std::vector<int64_t> shape = {}) {
    if (shape.empty()) shape = {out, in};
    Linear l;
    l.weight = matrix(name + ".weight", shape, out, in);
    if (bias) l.bias = vector(name + ".bias", out);
    return l;
  }

  LayerNormWeights norm(const std::string& name, int64_t size) {
    return {vector(name + ".weight", size), vector(name + ".bias", size)};
  }

  Conv2dWeights conv2d(const std::string& name, int out, int kernel, int in_per_group) {
    Conv2dWeights c;
    c.out_channels = out;
    c.kernel_h = c.kernel_w = kernel;
    c.in_per_group = in_per_group;
    c.weight = floats(name + ".weight", {out, kernel, kernel, in_per_group});
    c.bias = floats(name + ".bias", {out});
    return c;
  }

  void check_all_used() const {
    for (const auto& [name, view] : file_.tensors()) {
      if (used_.count(name) == 0) {
        throw FormatError(file_.path() + ": tensor \"" + name + "\" is not part of this model's config (" +
                          shape_text(view.shape) + ")");
      }
    }
  }

 private:
  const TensorFile& file_;
  HeldWeights& held_;
  WeightPolicy policy_;
  std::set<std::string> used_;
};


}  // namespace verbatim
