#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include "whisper/alignatt_policy.h"
#include "streaming/audio_inbox.h"
#include "whisper/special_tokens.h"
#include "whisper/streaming_policy.h"

using namespace verbatim;

TEST_CASE("the audio inbox coalesces waiting audio and keeps utterance ends in order") {
  AudioInbox inbox(1600);
  const std::vector<float> chunk(1600, 0.25f);
  inbox.push(chunk.data(), chunk.size());
  inbox.push(chunk.data(), chunk.size());
  inbox.push(chunk.data(), 100);
  AudioInbox::Batch batch = inbox.take();
  CHECK(batch.samples.size() == 3300);
  CHECK_FALSE(batch.ends_utterance);

  inbox.push(chunk.data(), 500);
  inbox.end_utterance();
  inbox.end_utterance();  // nothing new since the last end: ignored
  inbox.push(chunk.data(), 700);
  inbox.finish();
  inbox.finish();
  batch = inbox.take();
  CHECK(batch.samples.size() == 500);
  CHECK(batch.ends_utterance);
  CHECK_FALSE(batch.finished);
  batch = inbox.take();
  CHECK(batch.samples.size() == 700);
  CHECK(batch.ends_utterance);
  CHECK(batch.finished);
  CHECK_THROWS_AS(inbox.push(chunk.data(), 1), StreamClosed);
}

TEST_CASE("an utterance end after the worker took all of its audio still reaches the worker") {
  AudioInbox inbox(1600);
  const std::vector<float> chunk(1600, 0.25f);
  inbox.end_utterance();  // no audio yet: ignored
  inbox.push(chunk.data(), chunk.size());
  AudioInbox::Batch batch = inbox.take();
  CHECK(batch.samples.size() == 1600);
  CHECK_FALSE(batch.ends_utterance);
  inbox.end_utterance();  // nothing waits in the inbox, but the utterance has audio: the end comes alone
  inbox.end_utterance();
  inbox.push(chunk.data(), 200);
  batch = inbox.take();
  CHECK(batch.samples.empty());
  CHECK(batch.ends_utterance);
  inbox.finish();
  batch = inbox.take();
  CHECK(batch.samples.size() == 200);
  CHECK(batch.finished);
}

TEST_CASE("the audio inbox refuses non-finite samples whole and wakes a waiting worker") {
  AudioInbox inbox(1600);
  std::vector<float> chunk(1600, 0.1f);
  chunk[800] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(inbox.push(chunk.data(), chunk.size()), std::invalid_argument);
  chunk[800] = std::numeric_limits<float>::infinity();
  CHECK_THROWS_AS(inbox.push(chunk.data(), chunk.size()), std::invalid_argument);
  inbox.push(chunk.data(), 0);

  chunk[800] = 0.1f;
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    inbox.push(chunk.data(), 1000);  // below the minimum: the worker keeps waiting
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    inbox.push(chunk.data(), 1000);
  });
  const AudioInbox::Batch batch = inbox.take();
  producer.join();
  CHECK(batch.samples.size() == 2000);  // nothing of the refused chunks

  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    inbox.cancel();
  });
  CHECK(inbox.take().cancelled);
  canceller.join();
  CHECK_THROWS_AS(inbox.push(chunk.data(), 1), StreamClosed);
}

TEST_CASE("the last word of an update is held back at word starts as whisper splits words") {
  const SpecialTokens special = SpecialTokens::for_vocabulary(51864);
  TokenBytes bytes(10);
  bytes[1] = " Hello";
  bytes[2] = " wor";
  bytes[3] = "ld";
  bytes[4] = ".";
  bytes[5] = "\xC3";  // half of a two-byte character
  bytes[6] = "\xA9";
  CHECK(complete_words_prefix({1, 2, 3, 4}, bytes, special) == 3);  // punctuation is a word of its own
  CHECK(complete_words_prefix({1, 2, 3}, bytes, special) == 1);
  CHECK(complete_words_prefix({1, 5, 6}, bytes, special) == 0);
  CHECK(complete_words_prefix({1}, bytes, special) == 0);
  CHECK(complete_words_prefix({}, bytes, special) == 0);
  CHECK(complete_words_prefix({1, 2, special.eot}, bytes, special) == 2);
}

TEST_CASE("the attended frame is the newest token's peak after normalising across tokens, within the audio") {
  const int frames = 40;
  AttendedFrames attended(2, frames);
  // Rows laid out [token][head][frame]. Every token attends to frame 3 a little: a column the z-score flattens.
  const auto row = [&](std::optional<int> peak) {
    std::vector<float> out(2 * frames, 0.01f);
    for (int head = 0; head < 2; ++head) {
      out[head * frames + 3] = 0.3f;
      if (peak) {
        for (int f = *peak - 2; f <= *peak + 2; ++f) out[head * frames + f] = 0.5f;
      }
    }
    return out;
  };
  const std::vector<float> prompt = row(std::nullopt);
  attended.add(prompt.data(), 1);
  CHECK(attended.newest_frame(frames) == 0);  // one token alone has nothing to stand out from
  for (int peak : {10, 20, 30}) {
    const std::vector<float> r = row(peak);
    attended.add(r.data(), 1);
    // A five-frame plateau survives the width-7 median filter whole; argmax takes its first frame.
    CHECK(attended.newest_frame(frames) == peak - 2);
  }
  CHECK(attended.rows() == 4);
  CHECK(attended.newest_frame(25) < 25);  // cropped to the frames holding audio
}
