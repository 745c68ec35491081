// The extension's logic against the real daemon: a file transcribed segment by segment into the markdown the
// Detail view shows, saved beside its source, a job picked up again after the command closed, and the setup steps
// when no daemon answers. @raycast/api is not involved: these modules never import it.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DaemonProcess } from "../../test/support/daemon-process";
import { makeRandomModel, smallEnglishDims } from "../../test/support/fixtures";
import { connect } from "../src/lib/daemon-connection";
import { JobStore } from "../src/lib/job-store";
import { loadMenuBar } from "../src/lib/menu-bar-model";
import { fileBeside, saveBeside } from "../src/lib/outputs";
import { finishedText, overallProgress, transcriptMarkdown } from "../src/lib/transcript-view";
import { resumeJobs, transcribeFiles, type FileTranscription } from "../src/lib/transcription";
import { MemoryStorage } from "./memory-storage";

jest.setTimeout(180_000);

const media = mkdtempSync(path.join(os.tmpdir(), "verbatim-extension-"));
let model: string;
let daemon: DaemonProcess;
let speech: string;
let longSpeech: string;

beforeAll(async () => {
  model = makeRandomModel(smallEnglishDims, ["--dtype", "float16", "--seed", "3"]);
  speech = path.join(media, "voice memo.wav");
  execFileSync("espeak-ng", ["-v", "en-us", "-w", speech, "Please send the quarterly report to Maria before Friday."]);
  longSpeech = path.join(media, "long.wav");
  execFileSync("sox", [speech, longSpeech, "repeat", "8"]);
  daemon = await DaemonProcess.ready({ model, threads: 2 });
});

afterAll(async () => {
  await daemon?.dispose();
  rmSync(media, { recursive: true, force: true });
  rmSync(model, { recursive: true, force: true });
});

test("a file is transcribed through the daemon, and the view shows its text segment by segment", async () => {
  const client = await connect(daemon.socket);
  const jobs = new JobStore(new MemoryStorage());
  const snapshots: FileTranscription[][] = [];
  try {
    const [state] = await transcribeFiles(client, [speech], { jobs, onChange: (next) => snapshots.push(next) });
    expect(state.status).toBe("done");
    const transcript = state.transcript!;
    expect(transcript.segments.length).toBeGreaterThan(0);
    expect(transcript.model).toBe(model);

    // Each segment showed up in the view as it arrived, before the job finished.
    const partial = snapshots.filter((states) => states[0].status === "running" && states[0].segments.length > 0);
    expect(partial.length).toBeGreaterThanOrEqual(1);
    expect(transcriptMarkdown(partial[0])).toContain(partial[0][0].segments[0].text.trim().slice(0, 20));
    expect(overallProgress(snapshots[0])).toMatch(/^(Queued|Waiting for the daemon|Reading the audio|Transcribing)/);

    // The finished view is the transcript's text, with no progress line.
    const markdown = transcriptMarkdown([state]);
    expect(markdown).not.toMatch(/Transcribing|Queued/);
    expect(markdown.replace(/\\/g, "")).toContain(transcript.segments[0].text.trim());
    expect(finishedText([state])).toBe(transcript.text.trim());
    expect(overallProgress([state])).toBe("Transcribed 1 file");

    // The job is remembered with its text (what the menu bar's recent transcripts list).
    const [remembered] = await jobs.list();
    expect(remembered).toMatchObject({ id: state.jobId, file: speech, text: transcript.text });
  } finally {
    client.close();
  }
});

test("saving writes .txt, .srt and .vtt beside the source file, never over one", async () => {
  const client = await connect(daemon.socket);
  try {
    const [state] = await transcribeFiles(client, [speech], {
      jobs: new JobStore(new MemoryStorage()),
      onChange: () => undefined,
    });
    const transcript = state.transcript!;
    const text = await saveBeside(speech, "text", transcript);
    const srt = await saveBeside(speech, "srt", transcript);
    const vtt = await saveBeside(speech, "vtt", transcript);
    expect([text, srt, vtt]).toEqual(["txt", "srt", "vtt"].map((ext) => path.join(media, `voice memo.${ext}`)));
    expect(readFileSync(text, "utf8")).toBe(transcript.text + "\n");
    expect(readFileSync(srt, "utf8")).toMatch(/^1\n00:00:\d\d,\d{3} --> 00:00:\d\d,\d{3}\n\S/);
    expect(readFileSync(vtt, "utf8")).toMatch(/^WEBVTT\n\n00:00:\d\d\.\d{3} --> /);
    // Saving again never overwrites: the next one is numbered, the first untouched.
    expect(await saveBeside(speech, "text", transcript)).toBe(path.join(media, "voice memo (2).txt"));
    expect(readFileSync(text, "utf8")).toBe(transcript.text + "\n");
  } finally {
    client.close();
  }
});

test("several files are queued at once and each gets its own section", async () => {
  const client = await connect(daemon.socket);
  try {
    const states = await transcribeFiles(client, [speech, longSpeech], {
      jobs: new JobStore(new MemoryStorage()),
      onChange: () => undefined,
    });
    expect(states.map((state) => state.status)).toEqual(["done", "done"]);
    const markdown = transcriptMarkdown(states);
    expect(markdown).toContain("## voice memo.wav");
    expect(markdown).toContain("## long.wav");
    expect(overallProgress(states)).toBe("Transcribed 2 files");
  } finally {
    client.close();
  }
});

test("a job outlives the command closing: reopening fetches its result by the remembered id", async () => {
  const storage = new MemoryStorage();
  const first = await connect(daemon.socket);
  let jobId = "";
  const started = new Promise<void>((resolve) => {
    void transcribeFiles(first, [longSpeech], {
      jobs: new JobStore(storage),
      onChange: (states) => {
        jobId = states[0].jobId;
        if (states[0].status === "running") resolve();
      },
    }).catch(() => undefined);
  });
  await started;
  first.close(); // Raycast closed the window mid-job.

  const jobs = new JobStore(storage);
  expect((await jobs.unfinished()).map((job) => job.id)).toEqual([jobId]);
  const second = await connect(daemon.socket);
  try {
    const [state] = await resumeJobs(second, { jobs, onChange: () => undefined, pollMs: 100 });
    expect(state).toMatchObject({ jobId, file: longSpeech, status: "done" });
    expect(state.transcript!.durationSeconds).toBeGreaterThan(10);
    expect(transcriptMarkdown([state]).replace(/\\/g, "")).toContain(state.transcript!.segments[0].text.trim());
    expect(await jobs.unfinished()).toEqual([]);
  } finally {
    second.close();
  }
});

test("a remembered job the daemon no longer knows is reported once and then left alone", async () => {
  const jobs = new JobStore(new MemoryStorage());
  await jobs.add({ id: "job-from-before-a-restart", file: speech, startedAt: 1 });
  const client = await connect(daemon.socket);
  try {
    const [state] = await resumeJobs(client, { jobs, onChange: () => undefined, pollMs: 100 });
    expect(state.status).toBe("failed");
    expect(state.error).toContain("transcribe the file again");
    expect(await jobs.unfinished()).toEqual([]);
  } finally {
    client.close();
  }
});

test("following chosen earlier jobs leaves the others alone", async () => {
  const jobs = new JobStore(new MemoryStorage());
  await jobs.add({ id: "earlier-job-a", file: speech, startedAt: 1 });
  await jobs.add({ id: "earlier-job-b", file: speech, startedAt: 2 });
  const client = await connect(daemon.socket);
  try {
    const states = await resumeJobs(client, { jobs, only: ["earlier-job-b"], onChange: () => undefined, pollMs: 100 });
    expect(states.map((state) => state.jobId)).toEqual(["earlier-job-b"]);
    expect((await jobs.unfinished()).map((job) => job.id)).toEqual(["earlier-job-a"]);
  } finally {
    client.close();
  }
});

test("a file the daemon cannot read fails with the daemon's explanation, not a stack trace", async () => {
  const client = await connect(daemon.socket);
  const missing = path.join(media, "gone.m4a");
  try {
    const [state] = await transcribeFiles(client, [missing], {
      jobs: new JobStore(new MemoryStorage()),
      onChange: () => undefined,
    });
    expect(state.status).toBe("failed");
    const markdown = transcriptMarkdown([state]);
    expect(markdown).toContain("**Could not transcribe this file.**");
    expect(markdown).toContain("gone.m4a");
    expect(markdown).not.toMatch(/\n\s+at /);
  } finally {
    client.close();
  }
  expect(existsSync(fileBeside(missing, "text"))).toBe(false);
});

test("the menu bar shows the live daemon's model, backend, state, memory, queue and recent transcripts", async () => {
  const jobs = [{ id: "j1", file: speech, startedAt: 1, text: "one two three" }];
  const view = await loadMenuBar(daemon.socket, jobs);
  expect(view.state).toBe("ready");
  expect(view.setup).toBeNull();
  expect(view.details).toEqual([
    `Model: ${model}`,
    "Backend: cpu",
    "State: ready",
    expect.stringMatching(/^Memory: \d+ MB$/),
    "Queue: empty",
  ]);
  expect(view.models).toEqual([{ id: model, current: true }]);
  // The history's newest transcripts (this suite's files), not only the jobs this extension remembers.
  expect(view.recent.length).toBeGreaterThan(0);
  expect(view.recent[0]!.title).toMatch(/^(voice memo|long)\.wav — /);
  expect(view.recent.map((entry) => entry.title)).not.toContain("voice memo.wav — one two three");
});

test("with no daemon, the menu bar says it is not installed", async () => {
  const socket = path.join(media, "nobody.sock");
  const jobs = [{ id: "j1", file: speech, startedAt: 1, text: "one two three" }];
  const view = await loadMenuBar(socket, jobs, path.join(media, "no-such-service.plist"));
  expect(view).toMatchObject({ state: "down", setup: "not-installed", details: ["Verbatim is not installed"] });
  expect(view.recent).toEqual([{ id: "j1", title: "voice memo.wav — one two three", text: "one two three" }]);
});
