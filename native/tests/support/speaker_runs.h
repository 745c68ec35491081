// A speaker model loaded on a backend, and run over a whole clip offline or as a stream (speakers/speaker_model.h): its
// probabilities and segments, as the transformers parity test and the MLX test compare them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine.h"
#include "speakers/speaker_model.h"

namespace verbatim::test {

// The speaker model in `folder` on `backend`, the portable CPU backend on 2 workers.
inline std::shared_ptr<SpeakerModel> load_speaker_model(const std::string& folder, BackendChoice backend) {
  EngineOptions options;
  options.backend = backend;
  options.threads = 2;
  return SpeakerModel::load(folder, options);
}

struct SpeakerRun {
  std::vector<float> probabilities;  // frames x speakers
  std::vector<SpeakerSegment> segments;
  int64_t frames = 0;
  bool cache_compressed = false;  // streaming: whether the speaker cache overflowed and was compressed
};

// diarize() over the whole clip, its segments as extract_speaker_dict draws them.
inline SpeakerRun offline_speaker_run(SpeakerModel& model, const std::vector<float>& samples) {
  const SpeakerActivity activity = model.diarize(samples.data(), samples.size(), nullptr, nullptr);
  SegmentTracker tracker(activity.speakers, activity.frame_seconds);
  tracker.add(activity.probabilities.data(), activity.frames);
  return {activity.probabilities, tracker.finish(), activity.frames, false};
}

// A stream in `mode`, pushed in odd-sized pieces of 1,234 samples (a chunk runs once its samples are in, whatever the
// pushes' sizes), then finished.
inline SpeakerRun streaming_speaker_run(const std::shared_ptr<SpeakerModel>& model, const std::string& mode,
                                        const std::vector<float>& samples) {
  constexpr std::size_t kPiece = 1234;
  SpeakerStream stream(model, mode);
  SpeakerRun run;
  for (std::size_t i = 0; i < samples.size(); i += kPiece) {
    const std::vector<float> frames = stream.push(samples.data() + i, std::min(kPiece, samples.size() - i));
    run.probabilities.insert(run.probabilities.end(), frames.begin(), frames.end());
  }
  const std::vector<float> rest = stream.finish();
  run.probabilities.insert(run.probabilities.end(), rest.begin(), rest.end());
  run.segments = stream.segments();
  run.frames = stream.frames();
  run.cache_compressed = stream.cache_compressed();
  return run;
}

}  // namespace verbatim::test
