// The Realtime API on a Parakeet model (issue 41): its sessions are dictations, so the tiny random-weight Parakeet
// fixture gives live deltas and a completed transcript through the `openai` package's own Realtime client over the
// daemon's TLS, as Whisper does (api-realtime-speech.test.ts). The weights are random: the turn's transcript is
// compared with the dictation the daemon kept in its history, never with the words spoken.
import { readFileSync } from "node:fs";
import path from "node:path";
import type { DaemonClient } from "../../daemon/src/client";
import type { HistoryEntry } from "../../daemon/src/protocol";
import { freePort } from "../support/api";
import { heldoutWav, waitFor } from "../support/dictation";
import { DaemonProcess } from "../support/daemon-process";
import { fixtureModel } from "../support/fixtures";
import { appendAtRealTimePace, connectRealtime, ofType, pcm24 } from "../support/realtime";

jest.setTimeout(180_000);

const COMPLETED = "conversation.item.input_audio_transcription.completed";
const DELTA = "conversation.item.input_audio_transcription.delta";
let daemon: DaemonProcess;
let client: DaemonClient;
let port: number;
let certificate: Buffer;

async function history(): Promise<HistoryEntry[]> {
  const answer = await client.request({ type: "history.list", limit: 100 });
  return answer.type === "done" ? answer.history!.entries : [];
}

beforeAll(async () => {
  port = await freePort();
  daemon = await DaemonProcess.ready({
    model: fixtureModel("parakeet-tiny"),
    threads: 2,
    api: { enabled: true, port: await freePort(), host: "127.0.0.1", tls: true, tlsPort: port },
  });
  certificate = readFileSync(path.join(daemon.home, "api-tls", "certificate.pem"));
  client = await daemon.connect();
});

afterAll(async () => {
  client?.close();
  await daemon?.dispose();
});

test("a sentence then a pause: live deltas before the completed transcript, which is the dictation's text", async () => {
  const before = new Set((await history()).map((entry) => entry.id));
  const { rt, received, open } = connectRealtime(daemon, port, certificate);
  await open;
  await appendAtRealTimePace(rt, pcm24(heldoutWav("heldout-02.wav"), "pad", "0", "2"));
  await waitFor(() => ofType(received, COMPLETED).length > 0, "the completed transcript");
  const closed = new Promise((resolve) => rt.socket.once("close", resolve));
  rt.close();
  await closed;

  expect(ofType(received, "error")).toEqual([]);
  const [completed, ...more] = ofType(received, COMPLETED);
  expect(more).toEqual([]);
  const transcript = completed.event.transcript as string;
  expect(transcript.length).toBeGreaterThan(0);
  const deltas = ofType(received, DELTA);
  expect(deltas.length).toBeGreaterThan(0);
  for (const delta of deltas) expect(received.indexOf(delta)).toBeLessThan(received.indexOf(completed));
  // The dictation behind the session is in the history with this turn's text.
  let entries: HistoryEntry[] = [];
  for (let attempt = 0; attempt < 100 && entries.length === 0; attempt++) {
    entries = (await history()).filter((entry) => !before.has(entry.id));
    if (entries.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(entries).toHaveLength(1);
  expect(entries[0].text).toBe(transcript);
});
