// Structured logs: one JSON object per line in verbatimd.log in the log folder, and on stderr where that is not a
// file already (a terminal, a pipe, systemd's journal). Bounded whatever fails: each message is written at most
// REPEATS.lines times a minute, then counted and summed up in one line, and verbatimd.log is moved to
// verbatimd.log.1 (replacing the one before) once it passes MAX_LOG_BYTES.
import { appendFileSync, mkdirSync, renameSync, statSync } from "node:fs";
import path from "node:path";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

/** The size verbatimd.log grows to before it is rotated: with verbatimd.log.1, at most twice this on disk. */
export const MAX_LOG_BYTES = 10 * 1024 * 1024;

/** How often one message (its level and text, whatever its fields) is written before its repeats are only counted. */
export const REPEATS = { lines: 10, windowMs: 60_000 };

export interface LoggerOptions {
  /** Where each written line also goes; null: nowhere. Default: stderr. */
  echo?: ((line: string) => void) | null;
  maxBytes?: number;
  repeats?: { lines: number; windowMs: number };
  /** The clock the repeats are counted by (milliseconds). */
  now?: () => number;
}

/** Windows kept before those that have ended are swept (messages that name something vary without end). */
const MAX_WINDOWS = 256;

/** One message's current window: when it began, the lines written in it and those left out. */
interface Window {
  level: LogLevel;
  message: string;
  start: number;
  written: number;
  leftOut: number;
  timer: NodeJS.Timeout | null;
}

export class Logger {
  private readonly file: string;
  private readonly echo: ((line: string) => void) | null;
  private readonly maxBytes: number;
  private readonly repeats: { lines: number; windowMs: number };
  private readonly now: () => number;
  private readonly windows = new Map<string, Window>();

  constructor(logDir: string, options: LoggerOptions = {}) {
    mkdirSync(logDir, { recursive: true, mode: 0o700 });
    this.file = path.join(logDir, "verbatimd.log");
    this.echo = options.echo === undefined ? (line) => process.stderr.write(line) : options.echo;
    this.maxBytes = options.maxBytes ?? MAX_LOG_BYTES;
    this.repeats = options.repeats ?? REPEATS;
    this.now = options.now ?? Date.now;
  }

  get path(): string {
    return this.file;
  }

  log(level: LogLevel, message: string, fields: LogFields = {}): void {
    const key = `${level} ${message}`;
    const now = this.now();
    let window = this.windows.get(key);
    if (window && now - window.start >= this.repeats.windowMs) {
      this.closeWindow(key, window);
      window = undefined;
    }
    if (!window) {
      if (this.windows.size >= MAX_WINDOWS) this.sweep(now);
      window = { level, message, start: now, written: 0, leftOut: 0, timer: null };
      this.windows.set(key, window);
    }
    if (window.written >= this.repeats.lines) {
      window.leftOut++;
      // Said once the window ends, even when the repeats stop meanwhile.
      window.timer ??= setTimeout(
        () => this.closeWindow(key, window),
        window.start + this.repeats.windowMs - now,
      ).unref();
      return;
    }
    window.written++;
    this.write(level, message, fields);
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

  /** Ends the windows that are over. */
  private sweep(now: number): void {
    for (const [key, window] of this.windows) {
      if (now - window.start >= this.repeats.windowMs) this.closeWindow(key, window);
    }
  }

  /** Ends a message's window, writing how many of its lines were left out, if any. */
  private closeWindow(key: string, window: Window): void {
    if (this.windows.get(key) !== window) return;
    this.windows.delete(key);
    if (window.timer) clearTimeout(window.timer);
    if (window.leftOut === 0) return;
    const seconds = Math.round((this.now() - window.start) / 1000);
    this.write(window.level, `${window.message} (repeated)`, {
      leftOut: window.leftOut,
      note: `${window.leftOut} more lines of this message in ${seconds} s were left out of the log`,
    });
  }

  private write(level: LogLevel, message: string, fields: LogFields): void {
    // The line's own time, level and message win over fields of those names.
    const own = { time: new Date().toISOString(), level, message };
    const entry = Object.assign({ ...own }, fields, own);
    const line = JSON.stringify(entry) + "\n";
    try {
      this.rotateIfFull(Buffer.byteLength(line));
      appendFileSync(this.file, line, { mode: 0o600 });
    } catch {
      // A full disk or a removed folder must not take the daemon down; stderr still has the line.
    }
    this.echo?.(line);
  }

  /** Moves verbatimd.log to verbatimd.log.1 when the next line would take it past the cap. */
  private rotateIfFull(lineBytes: number): void {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return; // not there yet
    }
    if (size > 0 && size + lineBytes > this.maxBytes) renameSync(this.file, `${this.file}.1`);
  }
}
