// Stands in for the audiotee helper (a macOS binary) where it cannot run: speaks its protocol as its sources
// (github.com/makeusabrew/audiotee, Sources/Output) do. PCM on stdout; JSON lines on stderr (metadata, stream_start,
// stream_stop, error), plain "Error: ..." for bad arguments. Its own options come before the helper's:
//   --wav FILE      the 16 kHz mono 16-bit WAV whose samples it sends (then it waits, as a silent system does)
//   --format F      the metadata it announces: "asked" (what the arguments asked for) or "native" (48 kHz float)
//   --fail MESSAGE  after the audio, an error message, then exit 1
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    wav: { type: "string" },
    format: { type: "string", default: "asked" },
    fail: { type: "string" },
    "sample-rate": { type: "string" },
    "chunk-duration": { type: "string", default: "0.2" },
  },
});
const say = (type, data) =>
  process.stderr.write(JSON.stringify({ timestamp: new Date().toISOString(), message_type: type, data }) + "\n");

if (
  values["sample-rate"] !== undefined &&
  !["8000", "16000", "22050", "24000", "32000", "44100", "48000"].includes(values["sample-rate"])
) {
  process.stderr.write(`Error: Invalid sample rate: ${values["sample-rate"]}\n`);
  process.exit(1);
}
const asked = values.format === "asked" && values["sample-rate"] !== undefined;
say("info", { message: "Starting AudioTee..." });
say("metadata", {
  sample_rate: asked ? Number(values["sample-rate"]) : 48000,
  channels_per_frame: 1,
  bits_per_channel: asked ? 16 : 32,
  is_float: !asked,
  capture_mode: "audio",
  encoding: asked ? "pcm_s16le" : "pcm_f32le",
});
say("stream_start");
const pcm = values.wav ? readFileSync(values.wav).subarray(44) : Buffer.alloc(0);
const chunkBytes = Math.round(Number(values["chunk-duration"]) * 16000) * 2;
for (let offset = 0; offset < pcm.length; offset += chunkBytes)
  process.stdout.write(pcm.subarray(offset, offset + chunkBytes));
process.stdout.write("", () => {
  if (values.fail) {
    say("error", { message: values.fail });
    process.exit(1);
  }
});
process.on("SIGTERM", () => {
  say("stream_stop");
  process.exit(0);
});
setInterval(() => undefined, 1000);
