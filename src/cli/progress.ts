// A transfer progress bar on stderr: only for a terminal, only for transfers big enough to be
// worth watching, redrawn at most a few times a second (no timer, so nothing keeps Node alive).

const MIN_BYTES = 4 << 20;
const REDRAW_MS = 200;

export interface Progress {
  add(bytes: number): void;
  done(): void;
}

export const SILENT: Progress = { add() {}, done() {} };

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export class TerminalProgress implements Progress {
  private bytes = 0;
  private lastDraw = 0;
  private drawn = false;
  private readonly t0 = Date.now();

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly label: string,
    private readonly total: number | undefined,
    private readonly columns = 80,
  ) {}

  add(n: number): void {
    this.bytes += n;
    const now = Date.now();
    if (this.bytes < MIN_BYTES || now - this.lastDraw < REDRAW_MS) return;
    if (this.total !== undefined && this.total < MIN_BYTES) return;
    this.lastDraw = now;
    this.draw(now);
  }

  private draw(now: number): void {
    const secs = Math.max((now - this.t0) / 1000, 0.001);
    const rate = `${mb(this.bytes / secs)}/s`;
    let line: string;
    if (this.total) {
      const frac = Math.min(this.bytes / this.total, 1);
      const tail = ` ${String(Math.floor(frac * 100)).padStart(3)}% ${mb(this.bytes)}/${mb(this.total)} ${rate}`;
      const width = Math.max(10, this.columns - tail.length - Math.min(this.label.length, 24) - 4);
      const fill = Math.round(frac * width);
      line = `${this.label.slice(-24)} [${'#'.repeat(fill)}${' '.repeat(width - fill)}]${tail}`;
    } else line = `${this.label.slice(-24)} ${mb(this.bytes)} ${rate}`;
    this.out.write(`\r${line.slice(0, this.columns - 1)}`);
    this.drawn = true;
  }

  done(): void {
    if (!this.drawn) return;
    this.draw(Date.now());
    this.out.write('\n');
  }
}
