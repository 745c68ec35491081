// The parity tests' reading of the committed reference outputs (JSON written by test/reference/*.py).
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "formats/json.h"
#include "text_file.h"

namespace verbatim::test {

inline json::Value read_reference(const std::string& path) { return json::parse(read_text(path), path); }

inline const json::Value& at(const json::Value& object, const std::string& key) {
  const json::Value* v = object.find(key);
  REQUIRE_MESSAGE(v != nullptr, "reference lacks " << key);
  return *v;
}

inline int integer(const json::Value& v) {
  const auto i = v.as_int64();
  REQUIRE(i.has_value());
  return static_cast<int>(*i);
}

inline double number(const json::Value& v) { return std::stod(v.number_text()); }

inline std::vector<int> ints(const json::Value& list) {
  std::vector<int> out;
  for (const json::Value& item : list.items()) out.push_back(integer(item));
  return out;
}

// The largest difference between the reference's rows ("index": values) and `rows` (row-major, `width` wide).
inline double worst_row_difference(const json::Value& reference_rows, const std::vector<float>& rows, int width) {
  double worst = 0;
  for (const auto& [index, values] : reference_rows.members()) {
    const std::size_t t = std::stoul(index);
    REQUIRE((t + 1) * static_cast<std::size_t>(width) <= rows.size());
    REQUIRE(values.items().size() == static_cast<std::size_t>(width));
    for (int m = 0; m < width; ++m) {
      const double expected = number(values.items()[static_cast<std::size_t>(m)]);
      worst = std::max(worst, std::abs(rows[t * width + static_cast<std::size_t>(m)] - expected));
    }
  }
  return worst;
}

}  // namespace verbatim::test
