// A token as a job chooses it, before its segment is final.
#pragma once

#include <cstdint>
#include <optional>

namespace verbatim {

struct TokenEvent {
  int32_t token = 0;
  float probability = 0;  // of the chosen token under the filtered distribution
  // The attempt that produced the token: when a window falls back to a higher temperature, the tokens of the
  // failed attempt are void. Tokens after a window's last complete segment are re-decoded in the next window,
  // so per-token events are provisional; segments are final.
  float temperature = 0;
  // Seconds from the start of the window when the token is a timestamp.
  std::optional<double> timestamp;
};

}  // namespace verbatim
