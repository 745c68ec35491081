// A multilingual model already in the Hugging Face cache (as Python MLX tools leave it) transcribes with the
// network unreachable: the multilingual vocabulary ships with the daemon instead of coming from the hub.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { LANGUAGES } from "../../daemon/src/tokenizer";
import { makeRandomModel, referenceDir, repoRoot } from "../support/fixtures";

jest.setTimeout(120_000);

const REPO_ID = "mlx-community/whisper-large-v3-turbo";
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const cli = path.join(repoRoot, "daemon", "bin", "verbatim.js");
let root: string;
let hubCache: string;

/** The huggingface_hub cache layout: content-addressed blobs, a snapshot of relative links, refs/main. */
function cacheModel(folder: string, repoId: string): void {
  const repo = path.join(hubCache, `models--${repoId.replace("/", "--")}`);
  mkdirSync(path.join(repo, "blobs"), { recursive: true });
  mkdirSync(path.join(repo, "snapshots", COMMIT), { recursive: true });
  mkdirSync(path.join(repo, "refs"));
  for (const name of readdirSync(folder)) {
    const blob = createHash("sha256")
      .update(readFileSync(path.join(folder, name)))
      .digest("hex");
    copyFileSync(path.join(folder, name), path.join(repo, "blobs", blob));
    symlinkSync(`../../blobs/${blob}`, path.join(repo, "snapshots", COMMIT, name));
  }
  writeFileSync(path.join(repo, "refs", "main"), COMMIT);
}

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "verbatim-offline-"));
  hubCache = path.join(root, "hub");
  // A v3-shaped (128 mels, 51866 tokens) model, one narrow layer each side: random weights, real tokenizer.
  const model = makeRandomModel({
    n_mels: 128,
    n_audio_ctx: 1500,
    n_audio_state: 64,
    n_audio_head: 2,
    n_audio_layer: 1,
    n_vocab: 51866,
    n_text_ctx: 64,
    n_text_state: 64,
    n_text_head: 2,
    n_text_layer: 1,
  });
  cacheModel(model, REPO_ID);
  rmSync(model, { recursive: true, force: true });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

test("a cached multilingual model transcribes with HF_HUB_OFFLINE=1 and no reachable hub", () => {
  const run = spawnSync(
    process.execPath,
    [cli, "transcribe", "--no-daemon", "--model", REPO_ID, "--format", "json", path.join(referenceDir, "jfk.wav")],
    {
      env: {
        ...process.env,
        VERBATIM_HOME: path.join(root, "home"),
        HF_HUB_CACHE: hubCache,
        HF_HUB_OFFLINE: "1",
        HF_ENDPOINT: "http://127.0.0.1:9", // nothing listens on the discard port
      },
      encoding: "utf8",
    },
  );
  expect(run.stderr).not.toMatch(/vocab\.json|download/i);
  expect(run.status).toBe(0);
  const transcript = JSON.parse(run.stdout);
  expect(transcript.model).toBe(REPO_ID);
  // The language was detected over the multilingual vocabulary's language tokens.
  expect(LANGUAGES.map(([code]) => code)).toContain(transcript.language);
  expect(transcript.duration).toBeCloseTo(11, 0);
});
