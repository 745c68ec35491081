// A capture process whose dictation ended keeps its microphone ready for the next one while the daemon wants it
// (keepMicrophoneReadyMinutes, dictation/ready-microphone.ts): it holds the last PRE_ROLL_MS it heard and offers
// itself with dictation.ready. A dictation handed to it (capture.take) gets the audio from its keypress on, then live
// frames, until a client's stop (capture.flush: the audio read so far has gone, then this process stops it) or its
// end; then it is ready again.
import { DaemonError, type DaemonClient } from "../client";
import type { Event } from "../protocol";
import type { BufferedRecording } from "./buffered-recording";

/**
 * Offers the open microphone for dictation after dictation; resolves when the daemon releases it (the minutes passed
 * or the setting went off) or its connection ends, and rejects with the microphone's error if it fails. The caller
 * then closes the microphone.
 */
export async function keepReady(
  recording: BufferedRecording,
  client: DaemonClient,
  device: string | undefined,
): Promise<void> {
  const microphoneEnded = recording.ended.then((error) => {
    if (error) throw error;
    return "microphone" as const;
  });
  microphoneEnded.catch(() => undefined); // thrown from the race below while it runs; after, the caller's to stop
  for (;;) {
    recording.holdRecent();
    let handed = false;
    const onEvent = (event: Event) => {
      if (event.type === "capture.take") {
        handed = true;
        recording.sendTo((pcm) => client.sendAudio(event.session, pcm), event.since);
      } else if (event.type === "capture.flush") {
        recording.holdRecent(); // every frame read so far was sent before this stop
        void client.request({ type: "dictation.stop", session: event.session }).catch(() => undefined);
      } else if (event.type === "dictation.stopping") {
        recording.holdRecent(); // it takes no more audio
      }
    };
    const offered = client
      .request(device === undefined ? { type: "dictation.ready" } : { type: "dictation.ready", device }, onEvent)
      .then(
        (event) => (event.type === "done" ? ("released" as const) : ("dictated" as const)),
        // A dictation that failed or was cancelled leaves the microphone ready; a daemon gone does not.
        (error: unknown) => (handed && error instanceof DaemonError ? ("dictated" as const) : ("gone" as const)),
      );
    if ((await Promise.race([offered, microphoneEnded])) !== "dictated") return;
  }
}
