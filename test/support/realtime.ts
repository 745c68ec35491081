// The daemon's Realtime API in end-to-end tests, through the `openai` package's own Realtime client over the daemon's
// TLS listener (that client always dials wss://), with 24 kHz PCM16 audio as OpenAI clients send it.
import { execFileSync } from "node:child_process";
import OpenAI from "openai";
import { OpenAIRealtimeWS } from "openai/realtime/ws";
import { apiToken } from "./api";
import type { DaemonProcess } from "./daemon-process";

/** 100 ms of 24 kHz 16-bit audio. */
export const CHUNK_BYTES = 4800;

export interface Received {
  event: { type: string; [key: string]: unknown };
  at: number;
}

/** 24 kHz 16-bit mono PCM of a file, sox effects after it (padding: "pad", "0", "1"). */
export function pcm24(file: string, ...effects: string[]): Buffer {
  return execFileSync("sox", [
    file,
    "-t",
    "raw",
    "-r",
    "24000",
    "-e",
    "signed",
    "-b",
    "16",
    "-c",
    "1",
    "-",
    ...effects,
  ]);
}

/** A Realtime connection to the daemon's TLS `port`, trusting its `certificate`; every event it receives, timed. */
export function connectRealtime(
  daemon: DaemonProcess,
  port: number,
  certificate: Buffer,
): { rt: OpenAIRealtimeWS; received: Received[]; open: Promise<void> } {
  const openai = new OpenAI({ apiKey: apiToken(daemon), baseURL: `https://127.0.0.1:${port}/v1` });
  const rt = new OpenAIRealtimeWS({ model: "whisper-1", options: { ca: certificate } }, openai);
  const received: Received[] = [];
  rt.on("event", (event) => received.push({ event: event as Received["event"], at: Date.now() }));
  rt.on("error", () => undefined); // error events are in `received` too
  const open = new Promise<void>((resolve, reject) => {
    rt.socket.once("open", () => resolve());
    rt.socket.once("error", reject);
  });
  return { rt, received, open };
}

/** Sends `pcm` in 100 ms appends, each 100 ms after the last; when the last was sent. */
export async function appendAtRealTimePace(rt: OpenAIRealtimeWS, pcm: Buffer): Promise<number> {
  for (let offset = 0; offset < pcm.length; offset += CHUNK_BYTES) {
    rt.send({
      type: "input_audio_buffer.append",
      audio: pcm.subarray(offset, offset + CHUNK_BYTES).toString("base64"),
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now();
}

export const ofType = (received: Received[], type: string) => received.filter((r) => r.event.type === type);
