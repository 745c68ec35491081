// A text token placed in time: by cross-attention (Whisper's alignment) or by a transducer's frames.
#pragma once

#include <cstdint>

namespace verbatim {

struct TokenTiming {
  int32_t token = 0;
  double start = 0;  // seconds (from the start of the window or of the audio, as its producer says)
  double end = 0;
  float probability = 0;  // of the token among text tokens
};

}  // namespace verbatim
