// A one-line progress bar on a terminal's stderr; silent when stderr is not a terminal.
export class ProgressBar {
  private lastLine = "";

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return Boolean(this.stream.isTTY);
  }

  update(label: string, fraction: number | null, detail = ""): void {
    if (!this.enabled) return;
    const width = 24;
    const bar =
      fraction === null ? "·".repeat(width) : "█".repeat(Math.round(width * Math.min(1, fraction))).padEnd(width, "░");
    const percent = fraction === null ? "    " : `${String(Math.round(fraction * 100)).padStart(3)}%`;
    const line = `${bar} ${percent} ${label}${detail ? ` · ${detail}` : ""}`;
    const columns = this.stream.columns || 80;
    const fitted = line.length >= columns ? line.slice(0, columns - 1) : line;
    if (fitted === this.lastLine) return;
    this.lastLine = fitted;
    this.stream.write(`\r\x1b[2K${fitted}`);
  }

  clear(): void {
    if (!this.enabled || !this.lastLine) return;
    this.stream.write("\r\x1b[2K");
    this.lastLine = "";
  }
}
