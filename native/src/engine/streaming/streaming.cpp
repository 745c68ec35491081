#include "streaming/streaming.h"

#include "transcript/cancelled.h"

namespace verbatim {

StreamingTranscript run_streaming_session(AudioInbox& inbox, StreamingRecognizer& recognizer,
                                          const StreamingEvents& events) {
  StreamingTranscript transcript;
  for (;;) {
    AudioInbox::Batch batch = inbox.take();
    if (batch.cancelled) throw Cancelled();
    recognizer.add_audio(batch.samples.data(), batch.samples.size());
    if (recognizer.utterance_samples() > 0) {
      const StreamingUpdate update = recognizer.update(batch.ends_utterance, events.cancelled);
      if (events.on_update) events.on_update(update);
      if (batch.ends_utterance) {
        Utterance utterance = recognizer.end_utterance(events.cancelled);
        if (events.on_utterance) events.on_utterance(utterance);
        transcript.utterances.push_back(std::move(utterance));
      }
    }
    if (batch.finished) return transcript;
  }
}

}  // namespace verbatim
