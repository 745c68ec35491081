import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AudioError, decodeAudioToFile, findDecoder, loadAudio } from "../src/audio";
import { runDecoder } from "../src/audio/decoder-process";
import { amplitudeAt, ffmpeg, sox, speak } from "./support/audio-fixtures";

// Files are made and decoded by real tools on a shared machine: allow for a slow one.
jest.setTimeout(60_000);

let dir: string;
let noDecoders: string;
const file = (name: string) => join(dir, name);

/** Two seconds of a 1 kHz tone at amplitude 0.5, 44.1 kHz stereo: the source of every encoded file. */
const SOURCE = "source.wav";
/** The source as mp3, for the tests of errors and limits. */
const MP3 = "encoded.mp3";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "verbatim-audio-decoders-"));
  noDecoders = mkdtempSync(join(tmpdir(), "verbatim-no-decoders-"));
  sox("-D", "-n", "-r", "44100", "-c", "2", "-b", "16", file(SOURCE), "synth", "2", "sine", "1000", "vol", "0.5");
  ffmpeg("-i", file(SOURCE), "-c:a", "libmp3lame", file(MP3));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(noDecoders, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<AudioError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AudioError);
  return error as AudioError;
}

/** The decoded tone: 2 s long (codecs may pad a little) with a 1 kHz component of amplitude 0.5. */
function expectTone(samples: Float32Array): void {
  expect(samples.length / 16000).toBeGreaterThan(1.95);
  expect(samples.length / 16000).toBeLessThan(2.1);
  const amplitude = amplitudeAt(samples.subarray(8000, 8000 + 16 * 1000), 1000, 16000);
  expect(amplitude).toBeGreaterThan(0.45);
  expect(amplitude).toBeLessThan(0.55);
}

describe("formats other than WAV go through ffmpeg", () => {
  test.each([
    ["tone.mp3", ["-c:a", "libmp3lame"], "mp3"],
    ["tone.m4a", ["-c:a", "aac"], "mp4"],
    ["tone.flac", ["-c:a", "flac"], "flac"],
    ["tone.ogg", ["-c:a", "libvorbis"], "ogg"],
    ["tone.opus", ["-c:a", "libopus"], "ogg"],
    ["tone.aiff", [], "aiff"],
    ["tone.caf", [], "caf"],
    ["tone.mka", ["-c:a", "libopus"], "matroska"],
  ])("%s", async (name, codec, container) => {
    ffmpeg("-i", file(SOURCE), ...codec, file(name));
    const audio = await loadAudio(file(name));
    expect(audio.decoder).toBe("ffmpeg");
    expect(audio.sourceFormat).toBe(`${container} (decoded by ffmpeg)`);
    expect(audio.durationSeconds).toBe(audio.samples.length / 16000);
    expectTone(audio.samples);
  });

  test("lossless FLAC at 16 kHz mono decodes to exactly the WAV's samples", async () => {
    sox(
      "-D",
      "-n",
      "-r",
      "16000",
      "-c",
      "1",
      "-b",
      "16",
      file("tone16k.wav"),
      "synth",
      "1",
      "sine",
      "440",
      "vol",
      "0.3",
    );
    ffmpeg("-i", file("tone16k.wav"), file("tone16k.flac"));
    const fromFlac = await loadAudio(file("tone16k.flac"));
    const fromWav = await loadAudio(file("tone16k.wav"));
    expect(Array.from(fromFlac.samples)).toEqual(Array.from(fromWav.samples));
  });

  test("speech (espeak-ng, 22.05 kHz) reads alike through the WAV reader and through ffmpeg", async () => {
    speak(file("speech.wav"), "Verbatim turns speech into text on your own computer.");
    ffmpeg("-i", file("speech.wav"), file("speech.flac"));
    const parsed = await loadAudio(file("speech.wav"));
    const decoded = await loadAudio(file("speech.flac"));
    expect(parsed.decoder).toBe("wav");
    expect(parsed.samples.length).toBe(decoded.samples.length);
    let difference = 0;
    let power = 0;
    decoded.samples.forEach((x, i) => {
      difference += (parsed.samples[i] - x) ** 2;
      power += x * x;
    });
    expect(power / parsed.samples.length).toBeGreaterThan(1e-4);
    // Two different band-limiting filters: they agree to within a few tenths of a percent of the power.
    expect(10 * Math.log10(power / difference)).toBeGreaterThan(35);
  });

  test("the audio track of a video (mp4 and mkv)", async () => {
    const video = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=2"];
    ffmpeg(...video, "-i", file(SOURCE), "-c:v", "mpeg4", "-c:a", "aac", "-shortest", file("clip.mp4"));
    ffmpeg(...video, "-i", file(SOURCE), "-c:v", "mpeg4", "-c:a", "flac", "-shortest", file("clip.mkv"));
    expectTone((await loadAudio(file("clip.mp4"))).samples);
    expectTone((await loadAudio(file("clip.mkv"))).samples);
  });

  test("the content decides, not the name: an mp3 called .wav", async () => {
    copyFileSync(file(MP3), file("mislabelled.wav"));
    const audio = await loadAudio(file("mislabelled.wav"));
    expect(audio.sourceFormat).toBe("mp3 (decoded by ffmpeg)");
    expectTone(audio.samples);
  });
});

describe("files ffmpeg cannot turn into audio", () => {
  test("a video without an audio track", async () => {
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1", "-c:v", "mpeg4", file("silent-video.mp4"));
    const error = await rejection(loadAudio(file("silent-video.mp4")));
    expect(error.code).toBe("no-audio");
    expect(error.message).toBe("silent-video.mp4 has no audio track to transcribe.");
  });

  test("a text file named .mp3", async () => {
    writeFileSync(file("notes.mp3"), "These are my meeting notes, not a recording.\n".repeat(20));
    const error = await rejection(loadAudio(file("notes.mp3")));
    expect(error.code).toBe("decoder-failed");
    expect(error.message).toMatch(/^ffmpeg could not read notes\.mp3: \w.+\. Check that the file is a complete/);
    expect(error.message).not.toMatch(/@ 0x|\.\. /);
    expect(error.message).not.toContain(dir);
  });

  test("random bytes named .wav", async () => {
    let seed = 42;
    const random = Buffer.from(
      Array.from({ length: 4096 }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) >> 23),
    );
    writeFileSync(file("noise.wav"), random);
    const error = await rejection(loadAudio(file("noise.wav")));
    expect(error.code).toBe("decoder-failed");
    expect(error.message).toBe(
      "ffmpeg could not read noise.wav: Invalid data found when processing input. " +
        "Check that the file is a complete audio or video recording.",
    );
  });

  test("an mp3 longer than the limit is stopped while decoding", async () => {
    const error = await rejection(loadAudio(file(MP3), { maxSeconds: 1 }));
    expect(error.code).toBe("too-long");
    expect(error.message).toBe(
      "encoded.mp3 is longer than the 1 s limit. Split the recording into shorter parts, or raise the maximum duration.",
    );
  });

  test("cancelling before decoding starts", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(loadAudio(file(MP3), { signal: controller.signal }));
    expect(error.code).toBe("aborted");
    expect(error.message).toBe("Reading encoded.mp3 was canceled.");
  });

  test("cancelling kills a running decoder at once", async () => {
    const controller = new AbortController();
    const running = runDecoder("/bin/sleep", ["600"], file(MP3), { signal: controller.signal });
    controller.abort();
    const error = await rejection(running);
    expect(error.code).toBe("aborted");
  });
});

describe("decoding to a file of samples (what the daemon hands the engine)", () => {
  const samplesIn = (path: string) => {
    const bytes = readFileSync(path);
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  };

  test.each([
    ["a 44.1 kHz stereo WAV, resampled and mixed down as it is read", SOURCE, "wav"],
    ["an mp3, written by ffmpeg itself", MP3, "ffmpeg"],
  ])("%s: the same samples as in memory", async (_, name, decoder) => {
    const output = file(`${name}.f32`);
    const decoded = await decodeAudioToFile(file(name), output);
    const inMemory = await loadAudio(file(name));
    expect(decoded).toMatchObject({ decoder, sourceFormat: inMemory.sourceFormat, warnings: inMemory.warnings });
    expect(decoded.sampleCount).toBe(inMemory.samples.length);
    expect(decoded.durationSeconds).toBe(inMemory.durationSeconds);
    expect(Array.from(samplesIn(output))).toEqual(Array.from(inMemory.samples));
    expectTone(samplesIn(output));
  });

  test("ffmpeg stops at the length limit and the file is refused as too long", async () => {
    const error = await rejection(decodeAudioToFile(file(MP3), file("too-long.f32"), { maxSeconds: 1 }));
    expect(error.code).toBe("too-long");
    // Stopped just past 1 s (one more packet), not after the whole 2 s.
    expect(statSync(file("too-long.f32")).size).toBeLessThan(1.5 * 16000 * 4);
  });
});

describe("finding a decoder", () => {
  test("without ffmpeg, non-WAV files say how to install it", async () => {
    const error = await rejection(loadAudio(file(MP3), { decoderDirectories: [noDecoders] }));
    expect(error.code).toBe("decoder-missing");
    expect(error.message).toBe(
      "Install ffmpeg (brew install ffmpeg / apt-get install ffmpeg) to transcribe .mp3 files; WAV works without it.",
    );
  });

  test("decoders are found by absolute path, ffmpeg first, afconvert only on macOS", async () => {
    const homebrew = join(dir, "homebrew-bin");
    const system = join(dir, "usr-bin");
    mkdirSync(homebrew);
    mkdirSync(system);
    const tool = (folder: string, name: string) => {
      writeFileSync(join(folder, name), "#!/bin/sh\n");
      chmodSync(join(folder, name), 0o755);
    };
    tool(system, "afconvert");
    expect(await findDecoder([homebrew, system], "darwin")).toEqual({
      kind: "afconvert",
      path: join(system, "afconvert"),
    });
    expect(await findDecoder([homebrew, system], "linux")).toBeUndefined();
    writeFileSync(join(homebrew, "ffmpeg"), "not executable");
    expect(await findDecoder([homebrew, system], "darwin")).toEqual({
      kind: "afconvert",
      path: join(system, "afconvert"),
    });
    tool(system, "ffmpeg");
    expect(await findDecoder([homebrew, system], "darwin")).toEqual({ kind: "ffmpeg", path: join(system, "ffmpeg") });
  });
});
