// `verbatim dictations list|retry ID`: recordings of dictations whose text never reached anyone (the daemon was
// stopped or killed during them, or their recognition failed), and transcribing one again.
import type { VerbatimPaths } from "../paths";
import { ensureDaemon } from "./daemon-control";
import { EXIT, UsageError } from "./exit-codes";

export const DICTATIONS_USAGE = `  verbatim dictations list               recordings of dictations that did not deliver their text
  verbatim dictations retry ID           transcribe one of them (prints its text)
`;

export async function runDictations(args: string[], paths: VerbatimPaths): Promise<number> {
  const [action, id, ...extra] = args;
  if (
    extra.length > 0 ||
    (action === "list" && id) ||
    (action === "retry" && !id) ||
    !["list", "retry"].includes(action)
  ) {
    throw new UsageError("dictations needs one of: list, retry ID");
  }
  const client = await ensureDaemon(paths);
  try {
    if (action === "list") {
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
    const event = await client.request({ type: "dictations.retry", recording: id });
    if (event.type !== "done" || !event.transcript)
      throw new Error("the daemon finished the retry without a transcript");
    process.stdout.write(event.transcript.text + "\n");
    return EXIT.ok;
  } finally {
    client.close();
  }
}
