// Parakeet's options as a caller gives them (native/lib/types.ts ParakeetTranscribeOptions and ParakeetStreamOptions),
// read into its own: a wrong type or value throws std::invalid_argument naming the option. A file job's are its
// chunks for long files (read_chunking_options, transducer_chunks.h).
#pragma once

#include <string>
#include <vector>

#include "options/option_values.h"
#include "parakeet/parakeet_streaming.h"
#include "transducer/transducer_chunks.h"

namespace verbatim {

// A live session's margin and update size, the final pass's chunks and the boosted terms (pieces of `vocabulary`). Whisper's options that would change what it gives are refused at once, naming them
// (parakeet_refusal, its live policy's, its text context).
ParakeetStreamingOptions read_parakeet_streaming_options(const OptionValues& values,
                                                         const std::vector<std::string>& vocabulary);

// A file job's options that are Whisper's and would change what it gives (a translation, a language, a prompt, clip
// times): the refusal that fails the job, or empty.
std::string parakeet_refusal(const OptionValues& values);

}  // namespace verbatim
