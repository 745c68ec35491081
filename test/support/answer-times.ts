// How long the daemon takes to answer while a test makes it work: answer-times-client.cjs, a client in a process of its own,
// asks GET /health and `status` every 50 ms; `worst()` gives the longest wait of each since it was last called.
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { DaemonProcess } from "./daemon-process";
import { apiToken } from "./api";

export interface Worst {
  health: number;
  status: number;
}

export class AnswerTimes {
  private constructor(private readonly child: ChildProcess) {}

  /** Starts asking `daemon`, whose API listens on plain HTTP at `port`. */
  static async start(daemon: DaemonProcess, port: number): Promise<AnswerTimes> {
    const child = fork(path.join(__dirname, "answer-times-client.cjs"), {
      execArgv: [],
      env: { ...daemon.env, ANSWER_TIMES_PORT: String(port), ANSWER_TIMES_TOKEN: apiToken(daemon) },
    });
    const first = await new Promise<unknown>((resolve) => child.once("message", resolve));
    if (first !== "ready") throw new Error(`the answer-times client did not start: ${JSON.stringify(first)}`);
    return new AnswerTimes(child);
  }

  /** The longest wait for each answer since the last call (one still awaited counted with its wait so far), in ms. */
  worst(): Promise<Worst> {
    return new Promise((resolve) => {
      this.child.once("message", (message) => resolve(message as Worst));
      this.child.send("worst");
    });
  }

  async stop(): Promise<void> {
    const ended = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill();
    await ended;
  }
}
