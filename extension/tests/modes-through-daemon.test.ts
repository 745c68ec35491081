// Modes through the real daemon (trained fixture model, held-out speech): the mode Dictate and Toggle Dictation get
// by the frontmost app's bundle id, Raycast AI finishing (a stand-in for AI.ask) kept by the daemon with both texts in
// the history, ⌘M's switch after the end, and Manage Modes' edits. @raycast/api is not involved.
import { DaemonProcess } from "../../test/support/daemon-process";
import { heldoutWav, pcmOf, sendPcmInRealTime } from "../../test/support/dictation";
import { fixtureModel } from "../../test/support/fixtures";
import { dictationText, type Ask } from "../src/lib/ai-finishing";
import {
  connect,
  type DaemonClient,
  type TranscriptData,
  type TranscriptionOptions,
} from "../src/lib/daemon-connection";
import { Dictation } from "../src/lib/dictation-session";
import {
  addMode,
  deliveryPlan,
  editMode,
  loadModes,
  modeChanges,
  modeFormValues,
  modeFromForm,
  removeMode,
  startInApp,
  type DictationMode,
} from "../src/lib/modes";

jest.setTimeout(180_000);

const model = fixtureModel();
const email: DictationMode = {
  name: "Email",
  apps: ["com.apple.mail"],
  language: "en",
  finishing: "raycast",
  instruction: "Make it an email.",
  deliver: "paste-return",
};
let daemon: DaemonProcess;
let speech: Uint8Array;
const clients: DaemonClient[] = [];

async function client(): Promise<DaemonClient> {
  const connected = await connect(daemon.socket);
  clients.push(connected);
  return connected;
}

async function speak(session: string, pcm: Uint8Array): Promise<void> {
  await sendPcmInRealTime(await client(), session, pcm);
}

/** A dictation begun as Dictate begins one in the app `bundleId`, spoken and stopped. */
async function dictateIn(
  bundleId: string | undefined,
  options: TranscriptionOptions,
): Promise<{ session: string; transcript: TranscriptData }> {
  const connection = await client();
  const start = await startInApp(connection, options, bundleId);
  const run = new Dictation(connection, {
    source: "stream",
    options: start.options,
    ...(start.appBundleId && { appBundleId: start.appBundleId }),
    onChange: () => undefined,
  });
  await run.begun;
  expect(run.state.mode?.name).toBe(start.mode?.name);
  await speak(run.state.session!, speech);
  await run.stop();
  const final = await run.finished;
  expect(final.phase).toBe("done");
  return { session: final.session!, transcript: final.transcript! };
}

const keepWith = (session: string) => async (text: string) => {
  const answer = await (await client()).request({ type: "dictation.finished", session, text });
  return answer.type === "done" ? answer.transcript : undefined;
};

beforeAll(async () => {
  daemon = await DaemonProcess.ready({
    model,
    threads: 2,
    modes: [{ name: "Plain", apps: [], finishing: "none", deliver: "paste" }, email],
  });
  speech = await pcmOf(heldoutWav("heldout-07.wav"));
});

afterAll(async () => {
  for (const connection of clients) connection.close();
  await daemon?.dispose();
});

test("a dictation in Mail gets Email: Raycast AI finishes it, the daemon keeps both texts, delivered with Return", async () => {
  const connection = await client();
  const start = await startInApp(connection, { language: "de", beamSize: 1 }, "com.apple.mail");
  // The mode's language replaces the preference's; the bundle id goes with the start.
  expect(start).toEqual({ mode: email, options: { beamSize: 1 }, appBundleId: "com.apple.mail" });

  // The fixture model is English-only: a German dictation would be refused, so the mode's "en" must win.
  const { session, transcript } = await dictateIn("com.apple.mail", { language: "de", beamSize: 1 });
  expect(transcript.finishing).toMatchObject({ mode: "Email", engine: "raycast", status: "client", timeoutSeconds: 8 });
  const spoken = transcript.finishing!.spokenText;
  expect(spoken.length).toBeGreaterThan(0);

  let prompt = "";
  const ask: Ask = async (asked) => ((prompt = asked), `Hello,\n\n${spoken.toUpperCase()}`);
  const result = await dictationText(transcript, ask, keepWith(session));
  expect(result).toEqual({ text: `Hello,\n\n${spoken.toUpperCase()}`, finished: true, spokenText: spoken.trim() });
  expect(prompt).toContain("The instruction: Make it an email.");
  expect(prompt).toMatch(new RegExp(`<transcript-[0-9a-f]+>\\n${spoken.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\n`));
  expect(deliveryPlan(transcript.finishing!.deliver, "copy", "dictate")).toEqual({
    action: "paste",
    pressReturn: true,
  });

  const history = await connection.request({ type: "history.list", limit: 1 });
  expect(history.type === "done" && history.history!.entries[0]).toMatchObject({
    job: session,
    text: spoken,
    finishedText: result.text,
    mode: "Email",
    finishing: "raycast",
  });

  // ⌘M after the end: Plain gives back the spoken text, kept in the history.
  const switched = await connection.request({ type: "dictation.mode", session, mode: "Plain" });
  expect(switched.type === "done" && switched.transcript).toMatchObject({
    text: spoken,
    finishing: { mode: "Plain", status: "off" },
  });
});

test("a dictation in an app no mode lists gets the default mode: no finishing, the text as said", async () => {
  const { transcript } = await dictateIn("com.example.editor", { beamSize: 1 });
  expect(transcript.finishing).toMatchObject({ mode: "Plain", status: "off" });
  const never: Ask = async () => {
    throw new Error("not asked");
  };
  await expect(dictationText(transcript, never, keepWith("none"))).resolves.toMatchObject({
    text: transcript.text.trim(),
    finished: false,
  });
});

test("Manage Modes: add, edit (a cleared field is removed) and remove, as the form sends them", async () => {
  const connection = await client();
  const chat = modeFromForm({
    ...modeFormValues(),
    name: "Chat",
    apps: ["com.tinyspeck.slackmacgap"],
    finishing: "local",
    instruction: "Make it a chat message.",
    modelName: "llama3.2",
    deliver: "paste-return",
  });
  expect((await addMode(connection, chat)).modes.map((mode) => mode.name)).toEqual(["Plain", "Email", "Chat"]);
  const plainer = modeFromForm({ ...modeFormValues(chat), finishing: "none", instruction: "" });
  const edited = await editMode(connection, "Chat", modeChanges(chat, plainer));
  expect(edited.modes[2]).toEqual({
    name: "Chat",
    apps: ["com.tinyspeck.slackmacgap"],
    finishing: "none",
    deliver: "paste-return",
  });
  expect((await loadModes(connection)).modes[2]).toEqual(edited.modes[2]);
  expect((await removeMode(connection, "Chat")).modes.map((mode) => mode.name)).toEqual(["Plain", "Email"]);
});
