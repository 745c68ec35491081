// Realtime input audio as OpenAI clients send it, base64 of 16-bit little-endian mono PCM at 24 kHz (audio/pcm) or
// of G.711 at 8 kHz (audio/pcmu, audio/pcma), turned into the 16 kHz PCM frames dictation sessions take.
import { Resampler } from "../../audio";
import { toPcmBytes } from "../../dictation/pcm";
import { decodeG711 } from "./g711";

export type InputFormat = "audio/pcm" | "audio/pcmu" | "audio/pcma";
export const INPUT_RATES: Record<InputFormat, number> = { "audio/pcm": 24_000, "audio/pcmu": 8000, "audio/pcma": 8000 };
const SESSION_SAMPLE_RATE = 16_000;
/** Standard base64, padded: what every client's encoder writes. (Node's decoder skips anything else silently.) */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export class InputAudio {
  private readonly resampler: Resampler;

  constructor(readonly format: InputFormat) {
    this.resampler = new Resampler(INPUT_RATES[format], SESSION_SAMPLE_RATE);
  }

  /** The 16 kHz PCM bytes of one base64 chunk; throws a message for the client on a malformed one. */
  convert(base64: string): Uint8Array {
    if (base64.length % 4 !== 0 || !BASE64.test(base64)) {
      throw new Error("`audio` is not valid base64 (A-Z, a-z, 0-9, + and /, padded with =); the chunk was not used");
    }
    const bytes = Buffer.from(base64, "base64");
    let samples: Int16Array;
    if (this.format === "audio/pcm") {
      if (bytes.length % 2 !== 0) {
        throw new Error(`audio must be whole 16-bit samples, but this chunk has ${bytes.length} bytes`);
      }
      samples = new Int16Array(bytes.length / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2);
    } else samples = decodeG711(bytes, this.format === "audio/pcmu" ? "pcmu" : "pcma");
    return toPcmBytes(this.resampler.push(Float32Array.from(samples, (sample) => sample / 32768)));
  }
}
