// A stand-in for /bin/launchctl, which exists only on a Mac: it keeps launchd's state for one gui/<uid> domain and
// answers as launchctl does, with the exit codes and messages recorded on Macs:
//  - print or kickstart of a job that is not loaded: 113, `Could not find service "LABEL" in domain for user gui: UID`
//    (NousResearch/hermes-agent#5536);
//  - bootout of a loaded job: 0, while launchd goes on listing the label for a moment; bootout of one not loaded: 3,
//    `Boot-out failed: 3: No such process` (headroomlabs-ai/headroom#1289);
//  - bootstrap while launchd still frees a booted-out label (about 5 s, headroom#1289), of a job already loaded, or of
//    one switched off: 5, `Bootstrap failed: 5: Input/output error` and `Try re-running the command as root for richer
//    errors.` (openclaw/openclaw#136453, chenhg5/cc-connect#35); racing the job it just started: 37, `Bootstrap failed:
//    37: Operation already in progress` (headroom#1289);
//  - print-disabled: the domain's overrides, `"LABEL" => disabled` or `=> enabled`.
// A test sets how long each transient lasts, in answers, and reads back what launchd holds (the loaded plist's text).
import { readFileSync } from "node:fs";
import plist from "plist";
import type { CommandOutcome, CommandRunner } from "../src";

const ok: CommandOutcome = { code: 0, stdout: "", stderr: "" };
const fail = (code: number, stderr: string): CommandOutcome => ({ code, stdout: "", stderr: `${stderr}\n` });
const bootstrapFailed = (code: number, reason: string) =>
  fail(code, `Bootstrap failed: ${code}: ${reason}\nTry re-running the command as root for richer errors.`);

export class LaunchctlStandIn {
  /** Every invocation, as argv after /bin/launchctl. */
  readonly calls: string[][] = [];
  /** Loaded jobs: label to the plist text launchd read when it loaded it. */
  readonly loaded = new Map<string, string>();
  readonly disabled = new Set<string>();
  /** Times a loaded job was restarted by kickstart -k. */
  kickstarts = 0;
  /** After a bootout: how many prints still list the label, then how many bootstraps answer 5, then 37. */
  listedAfterBootout = 0;
  ioErrorsAfterBootout = 0;
  alreadyInProgressAfterBootout = 0;
  /** Plists launchd will not load, whatever the state: bootstrap answers 5 for them. */
  refuses: (plistText: string) => boolean = () => false;

  private stillListed = new Set<string>();
  private ioErrors = 0;
  private inProgress = 0;

  constructor(private readonly uid: number) {}

  readonly run: CommandRunner = async (file, args) => {
    if (file !== "/bin/launchctl") throw new Error(`not launchctl: ${file}`);
    this.calls.push(args);
    const [command, ...rest] = args;
    switch (command) {
      case "print":
        return this.print(this.label(rest[0]));
      case "print-disabled":
        return this.printDisabled(rest[0]);
      case "bootout":
        return this.bootout(this.label(rest[0]));
      case "bootstrap":
        return this.bootstrap(rest[0], rest[1]);
      case "kickstart":
        return this.kickstart(rest);
      case "enable":
        this.disabled.delete(this.label(rest[0]));
        return ok;
      default:
        throw new Error(`the stand-in does not know launchctl ${args.join(" ")}`);
    }
  };

  private notFound(label: string): CommandOutcome {
    return fail(113, `Could not find service "${label}" in domain for user gui: ${this.uid}`);
  }

  /** The label of a service target, gui/<uid>/<label>. */
  private label(target: string): string {
    const prefix = `gui/${this.uid}/`;
    if (!target.startsWith(prefix)) throw new Error(`not a service target in gui/${this.uid}: ${target}`);
    return target.slice(prefix.length);
  }

  private print(label: string): CommandOutcome {
    if (this.loaded.has(label)) return { ...ok, stdout: `gui/${this.uid}/${label} = {\n\tstate = running\n}\n` };
    if (this.stillListed.has(label)) {
      if (--this.listedAfterBootout <= 0) this.stillListed.delete(label);
      return { ...ok, stdout: `gui/${this.uid}/${label} = {\n\tstate = not running\n}\n` };
    }
    return this.notFound(label);
  }

  private printDisabled(domain: string): CommandOutcome {
    if (domain !== `gui/${this.uid}`) throw new Error(`not gui/${this.uid}: ${domain}`);
    const lines = [...this.disabled].map((label) => `\t\t"${label}" => disabled`);
    return { ...ok, stdout: `\tdisabled services = {\n${lines.join("\n")}\n\t}\n` };
  }

  private bootout(label: string): CommandOutcome {
    if (!this.loaded.delete(label)) return fail(3, "Boot-out failed: 3: No such process");
    if (this.listedAfterBootout > 0) this.stillListed.add(label);
    this.ioErrors = this.ioErrorsAfterBootout;
    this.inProgress = this.alreadyInProgressAfterBootout;
    return ok;
  }

  private bootstrap(domain: string, file: string): CommandOutcome {
    if (domain !== `gui/${this.uid}`) throw new Error(`not gui/${this.uid}: ${domain}`);
    const text = readFileSync(file, "utf8");
    const label = (plist.parse(text) as { Label: string }).Label;
    if (this.refuses(text)) return bootstrapFailed(5, "Input/output error");
    if (this.stillListed.has(label) || this.loaded.has(label) || this.disabled.has(label))
      return bootstrapFailed(5, "Input/output error");
    if (this.ioErrors > 0) {
      this.ioErrors--;
      return bootstrapFailed(5, "Input/output error");
    }
    if (this.inProgress > 0) {
      this.inProgress--;
      return bootstrapFailed(37, "Operation already in progress");
    }
    this.loaded.set(label, text);
    return ok;
  }

  private kickstart(args: string[]): CommandOutcome {
    const label = this.label(args[args.length - 1]);
    if (!this.loaded.has(label)) return this.notFound(label);
    if (args.includes("-k")) this.kickstarts++;
    return ok;
  }
}
