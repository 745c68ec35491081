// `verbatim history rm --before DATE`: says how many transcripts it deletes and, on a terminal, asks first (--yes
// skips the question). Without a terminal to ask on it deletes only with --yes: a script that meant one transcript
// or a day must not empty the history by accident. The delete spares entries that finished after the count, so it
// never deletes more than it said.
import { createInterface } from "node:readline/promises";
import type { VerbatimPaths } from "../paths";
import { ensureDaemon } from "./daemon-control";
import { EXIT, UsageError } from "./exit-codes";

export interface DeleteBefore {
  date: Date;
  /** The date as the user reads it (local time). */
  label: string;
  /** Delete without asking. */
  yes: boolean;
}

export async function deleteBefore(command: DeleteBefore, paths: VerbatimPaths): Promise<number> {
  // Entries that finish from now on are not counted, so they are not deleted either.
  const before = new Date(Math.min(command.date.getTime(), Date.now())).toISOString();
  const count = await ask(paths, async (client) => {
    const event = await client.request({ type: "history.count", before });
    if (event.type !== "done" || event.count === undefined) throw new Error(`the daemon answered ${event.type}`);
    return event.count;
  });
  const what = `${count} transcript${count === 1 ? "" : "s"} finished before ${command.label}`;
  if (count === 0) {
    process.stdout.write(`No transcripts finished before ${command.label}; nothing was deleted.\n`);
    return EXIT.ok;
  }
  if (!command.yes) {
    if (process.stdin.isTTY !== true) {
      throw new UsageError(
        `this would delete ${what}; nothing was deleted. There is no terminal to ask on: add --yes to delete them`,
      );
    }
    if (!(await confirmed(`Delete ${what}? [y/N] `))) {
      process.stdout.write("Nothing was deleted.\n");
      return EXIT.ok;
    }
  }
  const deleted = await ask(paths, async (client) => {
    const event = await client.request({ type: "history.delete", before });
    if (event.type !== "done" || event.deleted === undefined) throw new Error(`the daemon answered ${event.type}`);
    return event.deleted;
  });
  process.stdout.write(`Deleted ${deleted} transcript${deleted === 1 ? "" : "s"}.\n`);
  return EXIT.ok;
}

/** One request on its own connection: none is held open while the user thinks. */
async function ask<T>(
  paths: VerbatimPaths,
  work: (client: Awaited<ReturnType<typeof ensureDaemon>>) => Promise<T>,
): Promise<T> {
  const client = await ensureDaemon(paths);
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
