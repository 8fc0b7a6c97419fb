/**
 * A one-line progress bar on stderr: position, loss, accuracy, images/s and time left. On a
 * terminal it redraws in place; elsewhere (CI, pipes) it prints one line per call to `done`.
 */
export interface ProgressFields {
  loss: number;
  top1: number;
  imagesPerSecond: number;
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

export class ProgressBar {
  private readonly tty = Boolean(process.stderr.isTTY);
  private lastDraw = 0;

  constructor(readonly label: string, readonly total: number, readonly width = 24) {}

  /** Redraws at most ten times a second. */
  update(done: number, f: ProgressFields): void {
    if (!this.tty) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && done < this.total) return;
    this.lastDraw = now;
    process.stderr.write(`\r${this.line(done, f)}\x1b[K`);
  }

  /** Ends the bar with a final line (also the only line when not on a terminal). */
  done(f: ProgressFields, suffix = ''): void {
    const line = `${this.line(this.total, f)}${suffix}`;
    process.stderr.write(this.tty ? `\r${line}\x1b[K\n` : `${line}\n`);
  }

  private line(done: number, f: ProgressFields): string {
    const filled = Math.round((this.width * done) / Math.max(1, this.total));
    const bar = '#'.repeat(filled) + '.'.repeat(this.width - filled);
    const eta = f.imagesPerSecond > 0 ? (this.total - done) / f.imagesPerSecond : Infinity;
    return `${this.label} [${bar}] ${done}/${this.total} loss ${f.loss.toFixed(4)} top-1 ${f.top1.toFixed(2)}% ${f.imagesPerSecond.toFixed(0)} img/s eta ${clock(eta)}`;
  }
}
