// Driving live dictations on a real daemon from a test: held-out speech as the 16-bit PCM frames a client sends.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { loadAudio } from "../../daemon/src/audio";
import type { DaemonClient } from "../../daemon/src/client";
import { toPcmBytes } from "../../daemon/src/dictation/pcm";
import type { Event, TranscriptData, TranscriptionOptions } from "../../daemon/src/protocol";
import { repoRoot } from "./fixtures";

export const heldoutWav = (name: string) => path.join(repoRoot, "test", "fixtures", "heldout", name);

/** A held-out recording as 16 kHz 16-bit PCM bytes. */
export async function pcmOf(file: string): Promise<Uint8Array> {
  return toPcmBytes((await loadAudio(file)).samples);
}

/** 100 ms of audio per frame, as the CLI and the capture process send it. */
export const FRAME_BYTES = 3200;

export function sendPcm(client: DaemonClient, session: string, pcm: Uint8Array): void {
  for (let offset = 0; offset < pcm.length; offset += FRAME_BYTES) {
    client.sendAudio(session, pcm.subarray(offset, offset + FRAME_BYTES));
  }
}

/** Sends PCM at real-time pace, a 100 ms frame every 100 ms, as `verbatim capture` does (any client that sends audio). */
export async function sendPcmInRealTime(
  client: Pick<DaemonClient, "sendAudio">,
  session: string,
  pcm: Uint8Array,
): Promise<void> {
  for (let offset = 0; offset < pcm.length; offset += FRAME_BYTES) {
    client.sendAudio(session, pcm.subarray(offset, offset + FRAME_BYTES));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface Following {
  session: string;
  events: Event[];
  /** Settles with the dictation's outcome (rejects with a DaemonError on dictation.error). */
  outcome: Promise<TranscriptData>;
}

function follow(client: DaemonClient, body: Parameters<DaemonClient["request"]>[0]): Promise<Following> {
  const events: Event[] = [];
  return new Promise((resolve, reject) => {
    let session = "session" in body ? (body.session as string) : "";
    const outcome = client
      .request(body, (event) => {
        events.push(event);
        if (event.type === "dictation.started") {
          session = event.session;
          resolve({ session, events, outcome });
        }
      })
      .then((event) => {
        events.push(event);
        if (event.type !== "dictation.done") throw new Error(`the dictation ended with ${event.type}`);
        return event.transcript;
      });
    if (body.type === "dictation.attach") resolve({ session, events, outcome });
    outcome.catch(reject); // before "started": the start itself failed
  });
}

export function startDictation(
  client: DaemonClient,
  source: "stream" | "capture" = "stream",
  options?: TranscriptionOptions,
  mode?: string,
): Promise<Following> {
  return follow(client, { type: "dictation.start", source, ...(options && { options }), ...(mode && { mode }) });
}

export function attachDictation(client: DaemonClient, session: string): Promise<Following> {
  return follow(client, { type: "dictation.attach", session });
}

export async function stopDictation(client: DaemonClient, session: string): Promise<TranscriptData> {
  const event = await client.request({ type: "dictation.stop", session });
  if (event.type !== "done" || !event.transcript) throw new Error(`dictation.stop answered ${event.type}`);
  return event.transcript;
}

/** Writes the part of 16 kHz 16-bit PCM from `start` to `end` seconds (an utterance's bounds) as a WAV file. */
export function writePcmSlice(pcm: Uint8Array, start: number, end: number, file: string): void {
  const byte = (seconds: number) => 2 * Math.round(seconds * 16000);
  execFileSync("sox", ["-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c", "1", "-", file], {
    input: pcm.subarray(byte(start), byte(end)),
  });
}

/** Writes the part of a 16 kHz WAV file (a dictation's recording) from `start` to `end` seconds as a WAV file. */
export function writeWavSlice(wav: string, start: number, end: number, file: string): void {
  const sample = (seconds: number) => `${Math.round(seconds * 16000)}s`;
  execFileSync("sox", [wav, file, "trim", sample(start), `=${sample(end)}`]);
}

/** transcribe of exactly the audio of `file` (no voice activity detection: nothing cut): what a final pass must equal. */
export function transcribeExactly(client: DaemonClient, file: string): Promise<TranscriptData> {
  return client.transcribeFile(file, { options: { vad: false } }).promise;
}

/** The utterances of a dictation that has ended, from its events replayed to a late dictation.attach. */
export async function utterancesOf(
  client: DaemonClient,
  session: string,
): Promise<Array<Extract<Event, { type: "dictation.utterance" }>>> {
  const late = await attachDictation(client, session);
  await late.outcome.catch(() => undefined);
  return late.events.flatMap((event) => (event.type === "dictation.utterance" ? [event] : []));
}

/** The committed text of a dictation's events, in order. */
export function committedText(events: Event[]): string {
  return events.map((event) => (event.type === "dictation.committed" ? event.text : "")).join("");
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
