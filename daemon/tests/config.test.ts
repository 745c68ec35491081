import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { decodingDefaults, DEFAULT_CONFIG, loadConfig, mlxLimits } from "../src/service/config";

const dir = mkdtempSync(path.join(os.tmpdir(), "verbatim-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(values: unknown) {
  const file = path.join(dir, "config.json");
  writeFileSync(file, JSON.stringify(values));
  return loadConfig(file);
}

test("a missing config file is written with the defaults, and says it was created (the first run)", () => {
  const file = path.join(dir, "fresh", "config.json");
  expect(loadConfig(file)).toEqual({ config: DEFAULT_CONFIG, problems: [], created: true });
  expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(DEFAULT_CONFIG);
  expect(loadConfig(file)).toEqual({ config: DEFAULT_CONFIG, problems: [] });
});

test("the MLX backend and its memory limits are taken from the file, in MB", () => {
  const { config, problems } = load({ backend: "mlx", mlxCacheLimitMB: 512, mlxWiredLimitMB: 0 });
  expect(problems).toEqual([]);
  expect(config.backend).toBe("mlx");
  expect(mlxLimits(config)).toEqual({ mlxCacheLimitBytes: 512 * 1024 * 1024, mlxWiredLimitBytes: 0 });
  expect(mlxLimits(DEFAULT_CONFIG)).toEqual({ mlxCacheLimitBytes: undefined, mlxWiredLimitBytes: undefined });
});

test("invalid values are named and replaced by the defaults; the rest is kept", () => {
  const { config, problems } = load({ backend: "metal", mlxCacheLimitMB: -1, mlxWiredLimitMB: "1GB", threads: 3 });
  expect(config).toEqual({ ...DEFAULT_CONFIG, threads: 3 });
  expect(problems).toHaveLength(3);
  expect(problems[0]).toMatch(/"backend" has an invalid value "metal" \(it must be one of auto, .*\); using "auto"/);
  expect(problems[1]).toMatch(/"mlxCacheLimitMB" has an invalid value -1 \(it must be .*\); using null/);
});

test("a file that is not a JSON object falls back to the defaults with a reason", () => {
  writeFileSync(path.join(dir, "broken.json"), "{ not json");
  expect(loadConfig(path.join(dir, "broken.json")).problems[0]).toMatch(
    /broken\.json was ignored \(it is not valid JSON: /,
  );
  expect(load([1, 2]).problems[0]).toMatch(
    /was ignored \(it does not hold a JSON object\), so every setting is its default/,
  );
});

test("dictation settings: the microphone, the pause that ends an utterance, a streaming model's chunk, validated", () => {
  const good = load({ inputDevice: "MacBook Pro Microphone", utteranceSilenceSeconds: 0, streamingChunkMs: 560 });
  expect(good.problems).toEqual([]);
  expect(good.config).toMatchObject({
    inputDevice: "MacBook Pro Microphone",
    utteranceSilenceSeconds: 0,
    streamingChunkMs: 560,
  });
  const bad = load({ inputDevice: "  ", utteranceSilenceSeconds: -0.5, streamingChunkMs: 200 });
  expect(bad.config).toMatchObject({ inputDevice: null, utteranceSilenceSeconds: 0.6, streamingChunkMs: 160 });
  expect(bad.problems).toEqual([
    expect.stringMatching(/"inputDevice" has an invalid value " {2}" \(it must be .*\); using null/),
    expect.stringMatching(/"utteranceSilenceSeconds" has an invalid value -0.5 \(it must be .* to 10\); using 0.6/),
    expect.stringMatching(
      /"streamingChunkMs" has an invalid value 200 \(it must be milliseconds: 80, 160, 560 or 1120\)/,
    ),
  ]);
});

test("values that feed a timer stay within Node's limit (2^31-1 ms), and the problem says so", () => {
  const maxTimerMs = 2 ** 31 - 1;
  const longest = { idleUnloadMinutes: 35791, readyTimeoutSeconds: 2147483, maxDictationSeconds: 2147483 };
  const good = load(longest);
  expect(good.problems).toEqual([]);
  expect(good.config).toMatchObject(longest);
  expect(longest.idleUnloadMinutes * 60_000).toBeLessThanOrEqual(maxTimerMs);
  expect(longest.readyTimeoutSeconds * 1000).toBeLessThanOrEqual(maxTimerMs);

  const bad = load({ idleUnloadMinutes: 50000, readyTimeoutSeconds: 3e9, maxDictationSeconds: 2147484 });
  expect(bad.config).toMatchObject({ idleUnloadMinutes: 0, readyTimeoutSeconds: 600, maxDictationSeconds: 900 });
  expect(bad.problems).toEqual([
    expect.stringMatching(
      /"idleUnloadMinutes" has an invalid value 50000 \(it must be minutes from 0 .* to 35791, the longest a timer can wait\); using 0$/,
    ),
    expect.stringMatching(
      /"readyTimeoutSeconds" has an invalid value 3000000000 \(it must be seconds above 0 and up to 2147483, the longest a timer can wait\); using 600$/,
    ),
    expect.stringMatching(/"maxDictationSeconds" has an invalid value 2147484 \(.*up to 2147483.*\); using 900$/),
  ]);
  expect(load({ readyTimeoutSeconds: 0 }).problems).toEqual([expect.stringMatching(/"readyTimeoutSeconds"/)]);
});

test("connection and upload limits: whole numbers in range, the idle time in seconds a timer can wait", () => {
  const good = load({
    maxConnections: 2,
    idleConnectionSeconds: 0.5,
    maxUnfinishedUploads: 1,
    maxUnfinishedUploadMB: 1,
  });
  expect(good.problems).toEqual([]);
  expect(good.config).toMatchObject({ maxConnections: 2, idleConnectionSeconds: 0.5, maxUnfinishedUploads: 1 });
  const bad = load({
    maxConnections: 0,
    idleConnectionSeconds: 0,
    maxUnfinishedUploads: 2.5,
    maxUnfinishedUploadMB: "4G",
  });
  expect(bad.config).toMatchObject({
    maxConnections: 64,
    idleConnectionSeconds: 600,
    maxUnfinishedUploads: 8,
    maxUnfinishedUploadMB: 4096,
  });
  expect(bad.problems).toEqual([
    expect.stringMatching(
      /"maxConnections" has an invalid value 0 \(it must be a whole number from 1 to 10000\); using 64$/,
    ),
    expect.stringMatching(
      /"idleConnectionSeconds" has an invalid value 0 \(it must be seconds above 0 .*\); using 600$/,
    ),
    expect.stringMatching(/"maxUnfinishedUploads" has an invalid value 2.5 \(.*from 1 to 1000\); using 8$/),
    expect.stringMatching(/"maxUnfinishedUploadMB" has an invalid value "4G" \(.*from 1 to 1048576\); using 4096$/),
  ]);
});

test("history settings: on by default for 90 days with dictations' recordings; invalid values named", () => {
  expect(load({}).config).toMatchObject({ history: true, historyDays: 90, historyKeepsRecordings: "dictations" });
  const good = load({ history: false, historyDays: 0, historyKeepsRecordings: "all" });
  expect(good.problems).toEqual([]);
  expect(good.config).toMatchObject({ history: false, historyDays: 0, historyKeepsRecordings: "all" });
  // What earlier versions wrote.
  expect(load({ historyKeepsRecordings: true }).config.historyKeepsRecordings).toBe("all");
  expect(load({ historyKeepsRecordings: false }).config.historyKeepsRecordings).toBe("none");
  const bad = load({ history: "yes", historyDays: 7.5, historyKeepsRecordings: 1 });
  expect(bad.config).toMatchObject({ history: true, historyDays: 90, historyKeepsRecordings: "dictations" });
  expect(bad.problems).toEqual([
    expect.stringMatching(/"history" has an invalid value "yes" \(it must be true or false\); using true$/),
    expect.stringMatching(/"historyDays" has an invalid value 7.5 \(it must be a whole number of days .*\); using 90$/),
    expect.stringMatching(
      /"historyKeepsRecordings" has an invalid value 1 \(it must be "dictations", "all" or "none"\); using "dictations"$/,
    ),
  ]);
});

test("decoding: accuracy, beam search and the thresholds, validated; beamSize and bestOf win over accuracy", () => {
  expect(decodingDefaults(DEFAULT_CONFIG)).toEqual({
    beamSize: 1,
    bestOf: 1,
    patience: 1,
    lengthPenalty: null,
    compressionRatioThreshold: 2.4,
    logprobThreshold: -1,
    noSpeechThreshold: 0.6,
  });
  const best = load({ accuracy: "best", patience: 2, lengthPenalty: 0.6, logprobThreshold: null });
  expect(best.problems).toEqual([]);
  expect(decodingDefaults(best.config)).toMatchObject({ beamSize: 5, bestOf: 5, patience: 2, lengthPenalty: 0.6 });
  expect(decodingDefaults(best.config).logprobThreshold).toBeNull();
  const mixed = load({ accuracy: "best", beamSize: 3, noSpeechThreshold: null });
  expect(decodingDefaults(mixed.config)).toMatchObject({ beamSize: 3, bestOf: 5, noSpeechThreshold: null });

  const bad = load({ accuracy: "max", beamSize: 0, bestOf: 2.5, patience: null, noSpeechThreshold: 1.5 });
  expect(decodingDefaults(bad.config)).toEqual(decodingDefaults(DEFAULT_CONFIG));
  expect(bad.problems).toEqual([
    expect.stringMatching(/"accuracy" has an invalid value "max" \(it must be "fast" or "best"\); using "fast"$/),
    expect.stringMatching(
      /"beamSize" has an invalid value 0 \(it must be a whole number from 1 \(greedy\) to 16, or null for what accuracy says\); using null$/,
    ),
    expect.stringMatching(
      /"bestOf" has an invalid value 2.5 \(it must be a whole number from 1 to 16, .*\); using null$/,
    ),
    expect.stringMatching(/"patience" has an invalid value null \(it must be a number from 0.5 to 10\); using 1$/),
    expect.stringMatching(
      /"noSpeechThreshold" has an invalid value 1.5 \(it must be a probability from 0 to 1, or null to switch the rule off\); using 0.6$/,
    ),
  ]);
});

test("modes: each checked on its own, an invalid one named by place and name; finishingTimeoutSeconds validated", () => {
  const plain = { name: "Plain", apps: [], finishing: "none", deliver: "paste" };
  const { config, problems } = load({
    modes: [plain, { name: "Mail", apps: [], finishing: "local", deliver: "paste" }],
    finishingTimeoutSeconds: 0,
  });
  expect(config.modes).toEqual([plain]);
  expect(config.finishingTimeoutSeconds).toBe(8);
  expect(problems).toEqual([
    expect.stringMatching(
      /"finishingTimeoutSeconds" has an invalid value 0 \(it must be seconds above 0 .*\); using 8$/,
    ),
    expect.stringMatching(
      /: "modes\[1\]" \("Mail"\) is not used: "instruction" must say what finishing makes of the text/,
    ),
  ]);
  expect(load({}).config.modes.map((mode) => mode.name)).toEqual(["Plain", "Message", "Email", "Note", "Code"]);
  expect(load({ modes: "Plain" }).problems).toEqual([expect.stringMatching(/"modes" has an invalid value "Plain"/)]);
});
