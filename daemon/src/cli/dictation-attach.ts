// `verbatim dictations attach`: follows a dictation started elsewhere (by a killed `verbatim dictate`, Raycast)
// until it ends: its text so far at once, live text on a terminal, then its final text on stdout. Ctrl-C leaves it
// running.
import type { DaemonClient } from "../client";
import { DaemonError } from "../client";
import type { Event } from "../protocol";
import { EXIT } from "./exit-codes";
import { printFinalText, reportEarlyEnd } from "./dictation-outcome";
import { LiveText } from "./live-text";
import { TextSoFar } from "./text-so-far";

export async function attachDictation(client: DaemonClient, session: string): Promise<number> {
  const live = process.stderr.isTTY ? new LiveText(process.stderr) : null;
  const soFar = new TextSoFar();
  const onEvent = (event: Event) => {
    soFar.push(event);
    if (live) live.show(event);
    else if (event.type === "notice" || event.type === "dictation.microphone_silent")
      process.stderr.write(`verbatim: ${event.message}\n`);
  };
  let leave!: () => void;
  const left = new Promise<"left">((resolve) => (leave = () => resolve("left")));
  process.once("SIGINT", leave);
  const outcome = client.request({ type: "dictation.attach", session }, onEvent);
  outcome.catch(() => undefined); // settled below, or no longer waited for once the user left
  try {
    const ended = await Promise.race([outcome, left]);
    live?.clear();
    if (ended === "left") {
      process.stderr.write(
        `verbatim: the dictation ${session} goes on; stop it with \`verbatim dictations stop ${session}\`\n`,
      );
      return EXIT.interrupted;
    }
    if (ended.type !== "dictation.done") throw new Error(`the daemon ended the dictation with ${ended.type}`);
    return printFinalText(ended.transcript);
  } catch (error) {
    if (error instanceof DaemonError && error.code === "not_found") throw error; // no such dictation
    live?.clear();
    return reportEarlyEnd(error, session, soFar.text, true);
  } finally {
    process.off("SIGINT", leave);
  }
}
