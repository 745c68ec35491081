// A command runner that records each invocation and answers with prepared outcomes, in order.
import type { CommandOutcome, CommandRunner } from "../src";

export class RecordingRunner {
  readonly calls: string[][] = [];

  constructor(private readonly outcomes: CommandOutcome[]) {}

  readonly run: CommandRunner = async (file, args) => {
    this.calls.push([file, ...args]);
    const outcome = this.outcomes.shift();
    if (!outcome) throw new Error(`unexpected command: ${[file, ...args].join(" ")}`);
    return outcome;
  };
}
