// What a transcription job reports while it runs, and how it is stopped or asked to yield.
#pragma once

#include <functional>

#include "transcript/token_event.h"
#include "transcript/transcript.h"

namespace verbatim {

struct TranscribeEvents {
  // Every token as it is chosen, with the start of its window in seconds. Provisional: see TokenEvent.
  std::function<void(const TokenEvent& token, double window_start)> on_token;
  std::function<void(const Segment& segment)> on_segment;  // final segments, in order
  std::function<void(int done_frames, int total_frames)> on_progress;  // after each window
  std::function<bool()> cancelled;  // polled before every model call; throws Cancelled
  // Called before each window; true when other work used the runner meanwhile (its encoder state is then gone).
  std::function<bool()> between_windows;
};

}  // namespace verbatim
