// Structured logs: one JSON object per line in the log folder, and on stderr (which launchd also captures).
import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export class Logger {
  private readonly file: string;

  constructor(
    logDir: string,
    private readonly echo: (line: string) => void = (line) => process.stderr.write(line),
  ) {
    mkdirSync(logDir, { recursive: true, mode: 0o700 });
    this.file = path.join(logDir, "verbatimd.log");
  }

  get path(): string {
    return this.file;
  }

  log(level: LogLevel, message: string, fields: LogFields = {}): void {
    const line = JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }) + "\n";
    try {
      appendFileSync(this.file, line, { mode: 0o600 });
    } catch {
      // A full disk or a removed folder must not take the daemon down; stderr still has the line.
    }
    this.echo(line);
  }

  info(message: string, fields?: LogFields): void {
    this.log("info", message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.log("warn", message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.log("error", message, fields);
  }
}
