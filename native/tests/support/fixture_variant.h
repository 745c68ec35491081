// A model fixture copied to a temporary folder with its tensors and text files edited, and the check that a loader
// refuses it, for the tests of what a family's loader refuses.
#pragma once

#include <doctest/doctest.h>

#include <cstring>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "formats/half.h"
#include "formats/tensor_file.h"
#include "model_writer.h"
#include "text_file.h"

namespace verbatim::test {

// `text` with its first `from` replaced by `to` (the fixture must hold `from`).
inline std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "the fixture lacks " << from);
  return text.replace(at, from.size(), to);
}

// A text edit for FixtureVariant: the file `file` with its first `from` replaced by `to`.
inline std::function<void(const std::string& name, std::string& text)> edited(const std::string& file,
                                                                             const std::string& from,
                                                                             const std::string& to) {
  return [file, from, to](const std::string& name, std::string& text) {
    if (name == file) text = replaced(text, from, to);
  };
}

// The fixture folder copied to a temporary folder: its text files `texts` passed through `text`, its
// model.safetensors tensors through `edit`.
struct FixtureVariant {
  TempDir dir;
  FixtureVariant(const std::string& fixture, std::initializer_list<const char*> texts,
                 const std::function<void(std::vector<TestTensor>&)>& edit,
                 const std::function<void(const std::string& name, std::string& text)>& text) {
    for (const char* name : texts) {
      std::string content = read_text(fixture + "/" + name);
      if (text) text(name, content);
      write_file(dir.file(name), content);
    }
    const auto file = TensorFile::open(fixture + "/model.safetensors");
    std::vector<TestTensor> tensors;
    for (const auto& [name, view] : file->tensors()) {
      tensors.push_back({name, view.dtype, view.shape, Bytes(view.data, view.data + view.nbytes)});
    }
    edit(tensors);
    write_file(dir.file("model.safetensors"), safetensors_bytes(tensors));
  }
};

inline TestTensor& named(std::vector<TestTensor>& tensors, const std::string& name) {
  for (TestTensor& t : tensors) {
    if (t.name == name) return t;
  }
  FAIL("no tensor " << name);
  return tensors.front();
}

// Every tensor (all fp32) cast to fp16 (`half`) or bf16, as a FixtureVariant edit.
inline void cast_all(std::vector<TestTensor>& tensors, bool half) {
  for (TestTensor& t : tensors) {
    const std::size_t n = t.bytes.size() / 4;
    Bytes out(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
      float f;
      std::memcpy(&f, t.bytes.data() + i * 4, 4);
      const uint16_t bits = half ? float_to_half(f) : verbatim::float_to_bf16(f);
      std::memcpy(out.data() + i * 2, &bits, 2);
    }
    t.dtype = half ? DType::F16 : DType::BF16;
    t.bytes = std::move(out);
  }
}

// `load(folder)` throws a FormatError whose message says `words`.
template <typename Load>
void check_refused(const Load& load, const std::string& folder, const std::string& words) {
  try {
    load(folder);
    FAIL("loaded; expected a refusal saying " << words);
  } catch (const FormatError& e) {
    CHECK_MESSAGE(std::string(e.what()).find(words) != std::string::npos, e.what());
  }
}

}  // namespace verbatim::test
