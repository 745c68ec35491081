// `verbatim dictations`: the running dictation (stop, cancel or follow it, from any terminal: the one that started
// it may be gone), and recordings of dictations whose text never reached anyone (the daemon was stopped or killed
// during them, or their recognition failed), with transcribing one again.
import type { DaemonClient } from "../client";
import type { VerbatimPaths } from "../paths";
import type { DictationInfo } from "../protocol";
import { connectRunning, ensureDaemon } from "../daemon-control";
import { attachDictation } from "./dictation-attach";
import { needsOneOf } from "./did-you-mean";
import { printFinalText } from "./dictation-outcome";
import { EXIT, UsageError } from "./exit-codes";

const ACTIONS = ["list", "retry", "stop", "cancel", "attach"];

export async function runDictations(args: string[], paths: VerbatimPaths): Promise<number> {
  const [action, id, ...extra] = args;
  if (
    extra.length > 0 ||
    !ACTIONS.includes(action) ||
    (action === "list" && id !== undefined) ||
    (action === "retry" && !id)
  ) {
    const listing = "list, retry ID, stop [ID], cancel [ID], attach [ID]";
    throw new UsageError(needsOneOf("dictations", ACTIONS.includes(action) ? undefined : action, ACTIONS, listing));
  }
  // Only a retry transcribes (the engine): the rest leaves a stopped daemon stopped.
  const client = action === "retry" ? await ensureDaemon(paths) : await connectRunning(paths);
  try {
    switch (action) {
      case "list":
        return await list(client);
      case "retry":
        return await retry(client, id);
      case "stop": {
        const event = await client.request({ type: "dictation.stop", session: id ?? (await running(client, action)) });
        if (event.type !== "done" || !event.transcript) throw new Error(`dictation.stop answered ${event.type}`);
        return printFinalText(event.transcript);
      }
      case "cancel": {
        const session = id ?? (await running(client, action));
        await client.request({ type: "dictation.cancel", session });
        process.stdout.write(`Canceled the dictation ${session}.\n`);
        return EXIT.ok;
      }
      default:
        return await attachDictation(client, id ?? (await latest(client)));
    }
  } finally {
    client.close();
  }
}

async function dictations(client: DaemonClient): Promise<DictationInfo[]> {
  const event = await client.request({ type: "dictation.list" });
  return event.type === "done" ? (event.dictations ?? []) : [];
}

const isRunning = (info: DictationInfo) => info.state === "running" || info.state === "stopping";

/** The running dictation's id, for `action` without an ID. */
async function running(client: DaemonClient, action: string): Promise<string> {
  const info = (await dictations(client)).find(isRunning);
  if (!info) {
    throw new UsageError(
      `no dictation is running; to ${action} an earlier one, name it: verbatim dictations ${action} ID`,
      EXIT.notFound,
    );
  }
  return info.session;
}

/** The running dictation, else the latest the daemon remembers. */
async function latest(client: DaemonClient): Promise<string> {
  const known = await dictations(client);
  const info = known.find(isRunning) ?? known.at(-1);
  if (!info) throw new UsageError("verbatimd has no dictation running or recent to attach to", EXIT.notFound);
  return info.session;
}

async function list(client: DaemonClient): Promise<number> {
  const now = (await dictations(client)).find(isRunning);
  if (now) {
    const seconds = `${now.audioSeconds.toFixed(1)} s`;
    process.stdout.write(
      `${now.session}  ${now.state} since ${now.startedAt}, ${seconds} of audio ` +
        "(verbatim dictations stop|cancel|attach)\n",
    );
  }
  const event = await client.request({ type: "dictations.list" });
  const recordings = event.type === "done" ? (event.recordings ?? []) : [];
  if (recordings.length === 0) process.stdout.write("No dictation recordings are waiting.\n");
  for (const info of recordings) {
    const seconds = `${info.audioSeconds.toFixed(1)} s`.padStart(8);
    const why = info.error ? `  (${info.error})` : "";
    process.stdout.write(`${info.id}  ${info.state.padEnd(11)} ${seconds}  ${info.file}${why}\n`);
  }
  if (recordings.length > 0) process.stdout.write("Transcribe one with: verbatim dictations retry ID\n");
  return EXIT.ok;
}

async function retry(client: DaemonClient, recording: string): Promise<number> {
  const event = await client.request({ type: "dictations.retry", recording });
  if (event.type !== "done" || !event.transcript) throw new Error("the daemon finished the retry without a transcript");
  process.stdout.write(event.transcript.text + "\n");
  return EXIT.ok;
}
