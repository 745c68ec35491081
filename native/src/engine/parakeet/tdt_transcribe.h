// A file through a Parakeet TDT model: per chunk (transducer/transducer_chunks.h) NeMo features, the encoder and
// greedy TDT, the chunks' timed tokens merged into one segment.
#pragma once

#include <cstddef>

#include "audio/samples.h"
#include "parakeet/parakeet_weights.h"
#include "transcript/transcribe_events.h"
#include "transcript/transcript.h"
#include "transducer/phrase_boost.h"
#include "transducer/token_mask.h"
#include "transducer/transducer_chunks.h"
#include "transducer/transducer_runner.h"

namespace verbatim {

// Transcribes `n` 16 kHz samples read through `read` one chunk at a time (only a chunk's samples are held).
// Events: on_token for every token as each chunk decodes it (window_start: the chunk's start; tokens of an overlap
// come twice, provisional), on_progress after each chunk in feature frames (10 ms), between_windows before every
// chunk after the first, one on_segment at the end with the merged tokens; cancelled is polled between encoder
// layers and joint steps (throws Cancelled). `boost`: the vocabulary's terms, each chunk's decode walking the tree
// afresh; `mask`: the pieces no chunk emits.
Transcript transcribe_tdt(TransducerRunner& runner, const ParakeetConfig& config, const SampleReader& read,
                          std::size_t n, const ChunkingOptions& chunking, const PhraseBoost& boost,
                          const TokenMask& mask, const TranscribeEvents& events);

}  // namespace verbatim
