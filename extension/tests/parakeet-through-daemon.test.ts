// Raycast's code paths on a Parakeet model (issue 41), against the real daemon: Dictate and Toggle Dictation's state
// machine with live text and the final pass, Transcribe File's view, and the menu bar's model lines, with the daemon's
// model the trained Parakeet fixture (a folder in parakeet-mlx's layout) and held-out speech it reads without an
// error. The same modules on Whisper: dictation-through-daemon.test.ts and transcribe-through-daemon.test.ts.
// @raycast/api is not involved: these modules never import it.
import path from "node:path";
import { DaemonProcess } from "../../test/support/daemon-process";
import { heldoutWav, pcmOf, sendPcmInRealTime } from "../../test/support/dictation";
import { fixtureModel } from "../../test/support/fixtures";
import { normalizeWords } from "../../test/support/wer";
import { connect, type DaemonClient } from "../src/lib/daemon-connection";
import { Dictation, type DictationState } from "../src/lib/dictation-session";
import { dictateGate, openDaemon } from "../src/lib/dictation-start";
import { liveTextParts } from "../src/lib/dictation-text";
import { dictatedText } from "../src/lib/dictation-view";
import { JobStore } from "../src/lib/job-store";
import { loadMenuBar } from "../src/lib/menu-bar-model";
import { finishedText, transcriptMarkdown } from "../src/lib/transcript-view";
import { transcribeFiles } from "../src/lib/transcription";
import { MemoryStorage } from "./memory-storage";

jest.setTimeout(180_000);

const model = fixtureModel("parakeet-trained-en");
const file = heldoutWav("heldout-03.wav");
const spoken = "Please to think lead opportunity morning interview points.";
let daemon: DaemonProcess;
let speech: Uint8Array;
let batchText: string;
const clients: DaemonClient[] = [];

async function client(): Promise<DaemonClient> {
  const connected = await connect(daemon.socket);
  clients.push(connected);
  return connected;
}

beforeAll(async () => {
  daemon = await DaemonProcess.ready({ model, threads: 2 });
  speech = await pcmOf(file);
  batchText = (await (await client()).transcribeFile(file).promise).text;
  expect(batchText).toBe(spoken);
});

afterAll(async () => {
  for (const connection of clients) connection.close();
  await daemon?.dispose();
});

test("Dictate and Toggle Dictation's gate lets a Parakeet model start at once", async () => {
  const opened = await openDaemon(daemon.socket, new AbortController().signal);
  clients.push(opened.client);
  expect(opened.status.model.capabilities).toMatchObject({ family: "parakeet", streaming: true });
  expect(dictateGate(opened.status)).toEqual({ kind: "start" });
});

test("Dictate on Parakeet: starting → recording → stopping → done, live text while recording, the final pass", async () => {
  const states: DictationState[] = [];
  const run = new Dictation(await client(), { source: "stream", onChange: (state) => states.push(state) });
  await run.begun;
  expect(run.state).toMatchObject({ phase: "recording", model: { id: model, loading: false } });
  await sendPcmInRealTime(await client(), run.state.session!, speech);
  await run.stop();
  const final = await run.finished;

  expect(final.phase).toBe("done");
  expect(final.transcript!.text).toBe(batchText);
  expect(dictatedText(final)).toBe(batchText.trim());
  const phases = states.map((state) => state.phase).filter((phase, i, all) => phase !== all[i - 1]);
  expect(phases).toEqual(["starting", "recording", "stopping", "done"]);
  const live = states.filter((state) => state.phase === "recording" && liveTextParts(state.text).settled);
  expect(live.length).toBeGreaterThan(0);
  // Live text shows whole spoken words (7 of 7 in three runs here, 2026-11-26, the last word left to the final
  // pass): the last live text before it.
  const shown = normalizeWords(liveTextParts(live[live.length - 1].text).settled);
  expect(shown.filter((word) => normalizeWords(spoken).includes(word)).length).toBeGreaterThanOrEqual(
    0.7 * shown.length,
  );
});

test("Transcribe File on Parakeet: the view's text and the model's name", async () => {
  const jobs = new JobStore(new MemoryStorage());
  const [state] = await transcribeFiles(await client(), [file], { jobs, onChange: () => undefined });
  expect(state.status).toBe("done");
  expect(state.transcript!.model).toBe(model);
  expect(finishedText([state])).toBe(batchText.trim());
  expect(transcriptMarkdown([state])).toContain(batchText.trim());
});

test("the menu bar names the Parakeet model in use", async () => {
  const menu = await loadMenuBar(daemon.socket, []);
  expect(menu.state).toBe("ready");
  expect(menu.details).toContain(`Model: ${model}`);
  expect(path.basename(model)).toBe("parakeet-trained-en");
});
