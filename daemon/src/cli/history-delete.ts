// `verbatim history rm ID` and `rm --before DATE`: say what they delete and, on a terminal, ask first (--yes skips
// the question). Without a terminal to ask on they delete only with --yes: a script that meant one transcript or a
// day must not empty the history by accident. --before spares entries that finished after the count, so it never
// deletes more than it said.
import { createInterface } from "node:readline/promises";
import type { VerbatimPaths } from "../paths";
import { connectRunning } from "../daemon-control";
import { EXIT, UsageError } from "./exit-codes";

export type DeleteTranscripts = {
  /** Delete without asking. */
  yes: boolean;
} & (
  | { entry: number }
  | {
      before: Date;
      /** The date as the user reads it (local time). */
      label: string;
    }
);

export async function deleteTranscripts(command: DeleteTranscripts, paths: VerbatimPaths): Promise<number> {
  const target = "entry" in command ? await oneEntry(command.entry, paths) : await entriesBefore(command, paths);
  if (target === null) return EXIT.ok;
  if (!command.yes) {
    if (process.stdin.isTTY !== true) {
      throw new UsageError(
        `this would delete ${target.what}; nothing was deleted. There is no terminal to ask on: add --yes to delete ${target.them}`,
      );
    }
    if (!(await confirmed(`Delete ${target.what}? [y/N] `))) {
      process.stdout.write("Nothing was deleted.\n");
      return EXIT.ok;
    }
  }
  const deleted = await ask(paths, async (client) => {
    const event = await client.request({ type: "history.delete", ...target.request });
    if (event.type !== "done" || event.deleted === undefined) throw new Error(`the daemon answered ${event.type}`);
    return event.deleted;
  });
  process.stdout.write(`Deleted ${deleted} transcript${deleted === 1 ? "" : "s"}.\n`);
  return EXIT.ok;
}

interface Target {
  /** What is deleted, as the question names it. */
  what: string;
  them: "it" | "them";
  request: { entry: number } | { before: string };
}

async function oneEntry(entry: number, paths: VerbatimPaths): Promise<Target> {
  const detail = await ask(paths, async (client) => {
    const event = await client.request({ type: "history.get", entry });
    if (event.type !== "done" || !event.historyEntry) throw new Error(`the daemon answered ${event.type}`);
    return event.historyEntry;
  });
  const words = detail.text.trim().split(/\s+/).filter(Boolean);
  const opening = words.length > 8 ? `${words.slice(0, 8).join(" ")}…` : words.join(" ");
  const when = localTime(detail.createdAt);
  return {
    what: `transcript #${entry} (${when}${opening ? `, "${opening}"` : ", no speech"})`,
    them: "it",
    request: { entry },
  };
}

/** Null when none finished before the date (said so). */
async function entriesBefore(command: { before: Date; label: string }, paths: VerbatimPaths): Promise<Target | null> {
  // Entries that finish from now on are not counted, so they are not deleted either.
  const before = new Date(Math.min(command.before.getTime(), Date.now())).toISOString();
  const count = await ask(paths, async (client) => {
    const event = await client.request({ type: "history.count", before });
    if (event.type !== "done" || event.count === undefined) throw new Error(`the daemon answered ${event.type}`);
    return event.count;
  });
  if (count === 0) {
    process.stdout.write(`No transcripts finished before ${command.label}; nothing was deleted.\n`);
    return null;
  }
  return {
    what: `${count} transcript${count === 1 ? "" : "s"} finished before ${command.label}`,
    them: "them",
    request: { before },
  };
}

/** A time as the user reads it: local YYYY-MM-DD HH:MM. */
export function localTime(iso: string): string {
  const date = new Date(iso);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}`;
}

/** One request on its own connection: none is held open while the user thinks. */
async function ask<T>(
  paths: VerbatimPaths,
  work: (client: Awaited<ReturnType<typeof connectRunning>>) => Promise<T>,
): Promise<T> {
  const client = await connectRunning(paths);
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

/** Asks on the terminal; only y or yes is a yes (Ctrl-C and Ctrl-D are a no). */
async function confirmed(question: string): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  const abort = new AbortController();
  terminal.on("SIGINT", () => abort.abort());
  terminal.on("close", () => abort.abort());
  try {
    const answer = await terminal.question(question, { signal: abort.signal });
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    process.stderr.write("\n");
    return false;
  } finally {
    terminal.close();
  }
}
