// Audio with no speech in it, made by sox at test time: digital silence, white, pink and brown noise from -60 to
// -30 dBFS (RMS), clicks, bumps, beeps, mains hum and mixtures of them, 2-10 s each: nothing in it may become words.
// Also speech with pauses around it. CommonJS, so that the TypeScript tests (through no-speech.ts) and the benches
// (plain Node) share it.
const { execFileSync, spawnSync } = require("node:child_process");
const path = require("node:path");

const FORMAT = ["-r", "16000", "-c", "1", "-b", "16"];

/** sox with -R: its noise and its dither (added whenever it changes levels) the same on every run. */
function sox(args) {
  return execFileSync("sox", ["-R", ...args], { stdio: ["ignore", "pipe", "pipe"] }).toString();
}

/** The RMS level of a file in dBFS, as sox's stats effect measures it. */
function rmsDb(file) {
  const stats = spawnSync("sox", [file, "-n", "stats"], { encoding: "utf8" }).stderr; // sox reports on stderr
  const match = /RMS lev dB\s+(-?[\d.]+)/.exec(stats);
  if (!match) throw new Error(`sox stats gave no RMS level for ${file}`);
  return Number(match[1]);
}

/** sox synthesis at a chosen RMS level: made once at full scale, then scaled by what it measured. */
function synthAt(file, seconds, synth, level) {
  const raw = `${file}.raw.wav`;
  sox(["-n", ...FORMAT, raw, "synth", String(seconds), ...synth]);
  sox([raw, file, "gain", String(level - rmsDb(raw))]);
  execFileSync("rm", ["-f", raw]);
}

/** `sound` (sox synth arguments, `length` seconds, peak `peak` dBFS) every `every` seconds: clicks, bumps, beeps. */
function repeated(file, seconds, every, peak, sound = ["whitenoise"], length = 0.005) {
  const count = Math.max(1, Math.round(seconds / every));
  sox(
    ["-n", ...FORMAT, file, "synth", String(length), ...sound, "gain", "-n", String(peak)].concat([
      "pad",
      "0",
      String(every - length),
      "repeat",
      String(count - 1),
    ]),
  );
}

function mix(file, ...inputs) {
  sox(["-m", ...inputs.flatMap((input) => ["-v", "1", input]), file]);
}

/** Writes the set into `folder` (which must exist); returns its files with names and durations. */
function makeNoSpeechSet(folder) {
  const files = [];
  const add = (name, seconds, make) => {
    const file = path.join(folder, `${name}.wav`);
    make(file);
    files.push({ name, file, seconds });
  };
  for (const seconds of [2, 6, 10]) {
    add(`silence-${seconds}s`, seconds, (file) => sox(["-n", ...FORMAT, file, "trim", "0", String(seconds)]));
  }
  const colours = [
    ["white", [3, 5, 7]],
    ["pink", [4, 6, 8]],
    ["brown", [2, 5, 9]],
  ];
  for (const [colour, durations] of colours) {
    [-60, -45, -30].forEach((level, i) =>
      add(`${colour}${level}dB`, durations[i], (file) => synthAt(file, durations[i], [`${colour}noise`], level)),
    );
  }
  add("clicks-soft", 4.8, (file) => repeated(file, 4.8, 0.4, -20));
  add("clicks-loud", 4.9, (file) => repeated(file, 4.9, 0.7, -3));
  // A bump or a breath on the microphone, and a notification's beep: what Silero comes closest to calling speech.
  add("bumps", 6, (file) => repeated(file, 6, 2, -20, ["pinknoise"], 0.2));
  add("beeps", 4, (file) => repeated(file, 4, 2, -20, ["sine", "440"], 0.3));
  add("hum50-30dB", 6, (file) => synthAt(file, 6, ["sine", "50"], -30));
  add("buzz60-35dB", 4, (file) => synthAt(file, 4, ["square", "60", "lowpass", "400"], -35));
  add("hum100-40dB", 3, (file) => synthAt(file, 3, ["sine", "100"], -40));
  const part = (name) => path.join(folder, `part-${name}.wav`);
  add("brown-40dB+buzz60", 5, (file) => {
    synthAt(part("a"), 5, ["brownnoise"], -40);
    synthAt(part("b"), 5, ["square", "60", "lowpass", "400"], -45);
    mix(file, part("a"), part("b"));
  });
  add("pink-50dB+clicks", 6, (file) => {
    synthAt(part("a"), 6, ["pinknoise"], -50);
    repeated(part("b"), 6, 0.5, -12);
    mix(file, part("a"), part("b"));
  });
  add("room-tone", 10, (file) => {
    synthAt(part("a"), 10, ["brownnoise"], -50);
    synthAt(part("b"), 10, ["sine", "50"], -50);
    mix(file, part("a"), part("b"));
  });
  execFileSync("rm", ["-f", part("a"), part("b")]);
  return files;
}

/**
 * `speech` with `before` and `after` seconds of digital silence around it, or of brown noise at `noiseDb` dBFS
 * (RMS) under the whole file, written to `out` (16 kHz mono 16-bit).
 */
function surround(speech, out, { before, after, noiseDb = null }) {
  const padded = noiseDb === null ? out : `${out}.padded.wav`;
  sox([speech, ...FORMAT, padded, "pad", String(before), String(after)]);
  if (noiseDb === null) return;
  const seconds = Number(execFileSync("soxi", ["-D", padded]).toString());
  const noise = `${out}.noise.wav`;
  synthAt(noise, seconds, ["brownnoise"], noiseDb);
  mix(out, padded, noise);
  execFileSync("rm", ["-f", padded, noise]);
}

module.exports = { makeNoSpeechSet, surround };
