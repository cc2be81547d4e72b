// A one-line progress bar with ETA on a terminal; on a pipe or file, plain lines instead (no \r noise).
import type { Writable } from 'node:stream';

const clock = (s: number): string => {
  if (!Number.isFinite(s)) return '--:--';
  const t = Math.round(s),
    h = Math.floor(t / 3600),
    m = Math.floor((t % 3600) / 60),
    sec = t % 60;
  return `${h ? `${h}:${String(m).padStart(2, '0')}` : m}:${String(sec).padStart(2, '0')}`;
};

export class Progress {
  private from = 0;
  private total = 0;
  private startedAt = 0;
  private line = '';
  private readonly tty: boolean;

  constructor(
    private readonly out: Writable & { isTTY?: boolean },
    private readonly width = 24,
  ) {
    this.tty = out.isTTY === true;
  }

  start(done: number, total: number): void {
    this.from = done;
    this.total = total;
    this.startedAt = Date.now();
  }

  /** `done` of `total` steps finished */
  update(done: number, detail: string): void {
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const rate = (done - this.from) / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (this.total - done) / rate : Infinity;
    const filled = Math.round((this.width * done) / Math.max(this.total, 1));
    this.line = `[${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}] ${done}/${this.total} ${detail} ETA ${clock(eta)}`;
    if (this.tty) this.out.write(`\r${this.line}\x1b[K`);
  }

  /** a line that stays above the bar */
  log(text: string): void {
    this.out.write(this.tty ? `\r\x1b[K${text}\n${this.line}` : `${text}\n`);
  }

  done(): void {
    if (this.tty && this.line) this.out.write('\n');
    this.line = '';
  }
}
