// Realtime input audio as OpenAI clients send it (base64 16-bit little-endian mono PCM at 24 kHz) turned into the
// 16 kHz PCM frames dictation sessions take.
import { Resampler } from "../../audio";
import { toPcmBytes } from "../../dictation/pcm";

export const INPUT_SAMPLE_RATE = 24_000;
const SESSION_SAMPLE_RATE = 16_000;

export class InputAudio {
  private readonly resampler = new Resampler(INPUT_SAMPLE_RATE, SESSION_SAMPLE_RATE);

  /** The 16 kHz PCM bytes of one base64 chunk; throws a message for the client on a malformed one. */
  convert(base64: string): Uint8Array {
    const bytes = Buffer.from(base64, "base64");
    if (bytes.length % 2 !== 0) {
      throw new Error(`audio must be whole 16-bit samples, but this chunk has ${bytes.length} bytes`);
    }
    const samples = new Float32Array(bytes.length / 2);
    for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2) / 32768;
    return toPcmBytes(this.resampler.push(samples));
  }
}
