import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AudioError, loadAudio } from "../src/audio";
import { referenceDir } from "../../test/support/fixtures";
import { amplitudeAt, int16Bytes, maxAbsDifference, sine, sox, soxSamples, writeWav } from "./support/audio-fixtures";

// Files are made and decoded by real tools on a shared machine: allow for a slow one.
jest.setTimeout(60_000);

let dir: string;
let noDecoders: string;
const file = (name: string) => join(dir, name);
/** A plain one-second 16-bit WAV, the starting point of the damaged copies. */
const WHOLE = "whole.wav";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "verbatim-audio-wav-"));
  noDecoders = mkdtempSync(join(tmpdir(), "verbatim-no-decoders-"));
  soxWav(WHOLE, 16000, 1, "signed-integer", 16);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(noDecoders, { recursive: true, force: true });
});

/** A two-tone test signal made by sox: 1 kHz and 3 kHz, different on every channel. */
function soxWav(name: string, rate: number, channels: number, encoding: string, bits: number, seconds = 1): string {
  const tones = Array.from({ length: channels }, (_, c) => ["sine", `${1000 + 300 * c}`]).flat();
  sox(
    "-n",
    "-r",
    String(rate),
    "-c",
    String(channels),
    "-e",
    encoding,
    "-b",
    String(bits),
    file(name),
    "synth",
    String(seconds),
    ...tones,
    "vol",
    "0.4",
  );
  return file(name);
}

async function expectAudioError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AudioError);
  expect((error as AudioError).code).toBe(code);
  expect((error as AudioError).message).toMatch(message);
}

describe("WAV sample formats at 16 kHz match sox's own reading", () => {
  test.each([
    ["8-bit unsigned", "unsigned-integer", 8, "WAV, 8-bit PCM, 16000 Hz, 1 channel"],
    ["16-bit", "signed-integer", 16, "WAV, 16-bit PCM, 16000 Hz, 1 channel"],
    ["24-bit", "signed-integer", 24, "WAV, 24-bit PCM, 16000 Hz, 1 channel"],
    ["32-bit", "signed-integer", 32, "WAV, 32-bit PCM, 16000 Hz, 1 channel"],
    ["float32", "floating-point", 32, "WAV, 32-bit float, 16000 Hz, 1 channel"],
    ["float64", "floating-point", 64, "WAV, 64-bit float, 16000 Hz, 1 channel"],
  ])("%s", async (_name, encoding, bits, description) => {
    const path = soxWav(`mono-${encoding}-${bits}.wav`, 16000, 1, encoding, bits);
    const audio = await loadAudio(path, { decoderDirectories: [noDecoders] });
    expect(audio.decoder).toBe("wav");
    expect(audio.sourceFormat).toBe(description);
    expect(audio.durationSeconds).toBe(1);
    expect(audio.warnings).toEqual([]);
    expect(maxAbsDifference(audio.samples, soxSamples(path))).toBeLessThan(1e-6);
  });

  test("16-bit samples are exactly value / 32768 (jfk.wav)", async () => {
    const path = join(referenceDir, "jfk.wav");
    const audio = await loadAudio(path);
    expect(audio.sourceFormat).toBe("WAV, 16-bit PCM, 16000 Hz, 1 channel");
    expect(Array.from(audio.samples)).toEqual(Array.from(soxSamples(path)));
    expect(audio.durationSeconds).toBeCloseTo(11, 0);
  });
});

describe("channels are averaged to mono", () => {
  test.each([
    [2, "signed-integer", 16],
    [6, "signed-integer", 24], // sox writes 6 channels as WAVE_FORMAT_EXTENSIBLE
  ])("%i channels", async (channels, encoding, bits) => {
    const path = soxWav(`ch${channels}.wav`, 16000, channels, encoding, bits);
    expect(readFileSync(path).readUInt16LE(20)).toBe(channels > 2 ? 0xfffe : 1);
    const audio = await loadAudio(path);
    expect(audio.sourceFormat).toBe(`WAV, ${bits}-bit PCM, 16000 Hz, ${channels} channels`);
    expect(maxAbsDifference(audio.samples, soxSamples(path))).toBeLessThan(1e-6);
  });
});

describe("other sample rates are resampled to 16 kHz", () => {
  test.each([8000, 22050, 44100, 48000])("%i Hz agrees with sox's rate -v and keeps a 1 kHz tone", async (rate) => {
    const path = soxWav(`rate-${rate}.wav`, rate, 1, "signed-integer", 16, 1.5);
    const audio = await loadAudio(path);
    expect(audio.samples.length).toBe(Math.ceil((rate * 1.5 * 16000) / rate));
    const reference = soxSamples(path, "rate", "-v", "16000");
    const span = (x: Float32Array) => x.subarray(1600, 1600 + 16 * 1000);
    let noise = 0;
    let signal = 0;
    span(audio.samples).forEach((x, i) => {
      noise += (x - span(reference)[i]) ** 2;
      signal += span(reference)[i] ** 2;
    });
    expect(10 * Math.log10(signal / noise)).toBeGreaterThan(50);
    expect(amplitudeAt(span(audio.samples), 1000, 16000)).toBeCloseTo(0.4, 2);
  });
});

describe("WAV layouts", () => {
  const tone = sine(1000, 16000, 0.5, 0.5);
  const pcm = int16Bytes(tone);
  const expected = Float32Array.from(tone, (x) => Math.round(x * 32767) / 32768 + 0);

  test("WAVE_FORMAT_EXTENSIBLE float, mono", async () => {
    const data = Buffer.from(Float32Array.from(tone).buffer);
    writeWav(file("extensible-float.wav"), {
      formatCode: 0xfffe,
      subFormat: 3,
      channels: 1,
      sampleRate: 16000,
      bitsPerSample: 32,
      data,
    });
    const audio = await loadAudio(file("extensible-float.wav"));
    expect(Array.from(audio.samples)).toEqual(Array.from(tone));
  });

  test("an odd-sized chunk before the data is skipped with its pad byte", async () => {
    writeWav(file("odd-chunk.wav"), {
      formatCode: 1,
      channels: 1,
      sampleRate: 16000,
      bitsPerSample: 16,
      data: pcm,
      extraChunks: [{ id: "LIST", body: Buffer.from("abc") }],
    });
    expect(Array.from((await loadAudio(file("odd-chunk.wav"))).samples)).toEqual(Array.from(expected));
  });

  test("RF64 takes its data size from the ds64 chunk", async () => {
    writeWav(file("rf64.wav"), {
      formatCode: 1,
      channels: 1,
      sampleRate: 16000,
      bitsPerSample: 16,
      data: pcm,
      rf64: true,
    });
    expect(Array.from((await loadAudio(file("rf64.wav"))).samples)).toEqual(Array.from(expected));
  });

  test("a data size left unknown (0xFFFFFFFF) by a writer to a pipe runs to the end of the file", async () => {
    writeWav(file("piped.wav"), {
      formatCode: 1,
      channels: 1,
      sampleRate: 16000,
      bitsPerSample: 16,
      data: pcm,
      declaredDataSize: 0xffffffff,
    });
    const audio = await loadAudio(file("piped.wav"));
    expect(Array.from(audio.samples)).toEqual(Array.from(expected));
    expect(audio.warnings).toEqual([]);
  });

  test("a data chunk cut short is read as far as it goes, with a warning", async () => {
    writeWav(file("cut.wav"), {
      formatCode: 1,
      channels: 1,
      sampleRate: 16000,
      bitsPerSample: 16,
      data: pcm,
      declaredDataSize: pcm.length * 4,
    });
    const audio = await loadAudio(file("cut.wav"));
    expect(Array.from(audio.samples)).toEqual(Array.from(expected));
    expect(audio.warnings).toEqual(["cut.wav is cut short: its header promises 2 s of audio, the file holds 0.5 s."]);
  });

  test("a silent file gives silence of its length", async () => {
    sox("-D", "-n", "-r", "44100", "-c", "2", "-b", "16", file("silent.wav"), "trim", "0", "2");
    const audio = await loadAudio(file("silent.wav"));
    expect(audio.durationSeconds).toBe(2);
    expect(audio.samples.every((x) => x === 0)).toBe(true);
  });

  test("a header with an empty data chunk gives no samples", async () => {
    writeWav(file("header-only.wav"), {
      formatCode: 1,
      channels: 1,
      sampleRate: 16000,
      bitsPerSample: 16,
      data: Buffer.alloc(0),
    });
    const audio = await loadAudio(file("header-only.wav"));
    expect(audio.samples.length).toBe(0);
    expect(audio.durationSeconds).toBe(0);
  });

  test("a WAV named .mp3 is still read as WAV", async () => {
    copyFileSync(file(WHOLE), file("actually-wav.mp3"));
    expect((await loadAudio(file("actually-wav.mp3"), { decoderDirectories: [noDecoders] })).decoder).toBe("wav");
  });
});

describe("broken WAV files give clear errors", () => {
  test("a header whose data was cut off entirely", async () => {
    writeWav(file("no-data.wav"), {
      formatCode: 1,
      channels: 1,
      sampleRate: 16000,
      bitsPerSample: 16,
      data: Buffer.alloc(0),
      declaredDataSize: 32000,
    });
    await expectAudioError(
      loadAudio(file("no-data.wav")),
      "corrupt",
      /no-data.wav ends before its audio data begins.*Re-export/,
    );
  });

  test("a header cut off inside the fmt chunk", async () => {
    copyFileSync(file(WHOLE), file("truncated-header.wav"));
    truncateSync(file("truncated-header.wav"), 24);
    await expectAudioError(
      loadAudio(file("truncated-header.wav")),
      "corrupt",
      /truncated-header.wav is not a readable WAV file: its fmt chunk is shorter than 16 bytes/,
    );
  });

  test("a RIFF header and nothing else", async () => {
    copyFileSync(file(WHOLE), file("riff-only.wav"));
    truncateSync(file("riff-only.wav"), 12);
    await expectAudioError(
      loadAudio(file("riff-only.wav")),
      "corrupt",
      /riff-only.wav is not a readable WAV file: it has no fmt chunk/,
    );
  });

  test("zero channels or a zero sample rate", async () => {
    writeWav(file("zero-channels.wav"), {
      formatCode: 1,
      channels: 0,
      sampleRate: 16000,
      bitsPerSample: 16,
      data: Buffer.alloc(4),
    });
    await expectAudioError(loadAudio(file("zero-channels.wav")), "corrupt", /0 channels/);
    writeWav(file("zero-rate.wav"), {
      formatCode: 1,
      channels: 1,
      sampleRate: 0,
      bitsPerSample: 16,
      data: Buffer.alloc(4),
    });
    await expectAudioError(loadAudio(file("zero-rate.wav")), "corrupt", /sample rate is 0 Hz/);
  });

  /** A copy of the whole 16-bit file whose fmt chunk claims `bits` bits per sample (its frames still 2 bytes). */
  function claimingBits(bits: number): string {
    const bytes = readFileSync(file(WHOLE));
    bytes.writeUInt16LE(bits, bytes.indexOf("fmt ", 12, "latin1") + 8 + 14);
    const path = file(`claims-${bits}-bits.wav`);
    writeFileSync(path, bytes);
    return path;
  }

  test("a header whose bits per sample contradict its frame size is refused naming both, even with ffmpeg", async () => {
    await expectAudioError(
      loadAudio(claimingBits(7)),
      "corrupt",
      /claims-7-bits.wav is not a readable WAV file: its fmt chunk says 7 bits per sample in 2-byte frames \(block align\), but 1 channel of 7-bit samples make 1-byte frames/,
    );
    await expectAudioError(loadAudio(claimingBits(0)), "corrupt", /its fmt chunk says its samples have 0 bits/);
  });

  test("12-bit samples in 16-bit frames are read as the WAV format has them, left-justified", async () => {
    const whole = await loadAudio(file(WHOLE), { decoderDirectories: [noDecoders] });
    const twelve = await loadAudio(claimingBits(12), { decoderDirectories: [noDecoders] });
    expect(twelve.sourceFormat).toBe("WAV, 12-bit PCM, 16000 Hz, 1 channel");
    expect(twelve.samples).toEqual(whole.samples);
  });

  test("an empty file, a missing file, a folder", async () => {
    writeFileSync(file("empty.wav"), "");
    await expectAudioError(loadAudio(file("empty.wav")), "empty", /empty.wav is empty \(0 bytes\)/);
    await expectAudioError(
      loadAudio(file("missing.wav")),
      "not-found",
      /missing.wav does not exist. Check the file path/,
    );
    await expectAudioError(loadAudio(dir), "not-found", /is not a file/);
  });

  test("a WAV longer than the limit is refused before it is read", async () => {
    const path = soxWav("long.wav", 48000, 2, "signed-integer", 16, 3);
    await expectAudioError(
      loadAudio(path, { maxSeconds: 2 }),
      "too-long",
      /long.wav is 3 s long, more than the 2 s limit. Split/,
    );
  });

  test("µ-law WAV needs ffmpeg, and says so when it is missing", async () => {
    sox("-n", "-r", "8000", "-c", "1", "-e", "u-law", file("ulaw.wav"), "synth", "1", "sine", "1000", "vol", "0.4");
    await expectAudioError(
      loadAudio(file("ulaw.wav"), { decoderDirectories: [noDecoders] }),
      "unsupported",
      /ulaw.wav is a WAV file in format code 0x0007.*Install ffmpeg/,
    );
    const audio = await loadAudio(file("ulaw.wav"));
    expect(audio.sourceFormat).toBe("WAV (decoded by ffmpeg)");
    expect(amplitudeAt(audio.samples.subarray(1600, 1600 + 16 * 500), 1000, 16000)).toBeCloseTo(0.4, 1);
  });

  test("the signal cancels reading", async () => {
    const controller = new AbortController();
    controller.abort();
    await expectAudioError(loadAudio(file(WHOLE), { signal: controller.signal }), "aborted", /canceled/);
  });
});
