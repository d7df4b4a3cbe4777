// Progress on stderr: one line per step, with the time since the start; on a
// terminal, a live line that the next step overwrites.

export class Progress {
  private readonly started = Date.now();
  private live = false;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly enabled = true,
  ) {}

  private stamp(): string {
    return `[${((Date.now() - this.started) / 1000).toFixed(1).padStart(6)}s]`;
  }

  step(text: string): void {
    if (!this.enabled) return;
    this.clearLive();
    this.out.write(`${this.stamp()} ${text}\n`);
  }

  /** A transient status line (terminal only). */
  status(text: string): void {
    if (!this.enabled || !this.out.isTTY) return;
    this.out.write(`\r\x1b[K${this.stamp()} ${text}`);
    this.live = true;
  }

  clearLive(): void {
    if (this.live) {
      this.out.write('\r\x1b[K');
      this.live = false;
    }
  }
}
