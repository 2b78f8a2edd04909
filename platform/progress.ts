// A progress line for long jobs on stderr: redrawn in place on a terminal, a line every few seconds otherwise.

export class Progress {
  private last = 0;
  private readonly started = Date.now();
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly label: string,
    private readonly total?: number,
    private readonly everyMs = 5_000,
  ) {}

  update(done: number, extra = '', force = false): void {
    const now = Date.now();
    if (!force && now - this.last < (this.tty ? 200 : this.everyMs)) return;
    this.last = now;
    const secs = (now - this.started) / 1_000;
    const rate = secs > 0 ? Math.round(done / secs) : 0;
    let bar = '';
    if (this.total && this.total > 0) {
      const f = Math.min(1, done / this.total);
      const width = 24;
      bar = `[${'#'.repeat(Math.round(f * width)).padEnd(width, '.')}] ${(f * 100).toFixed(0).padStart(3)}% `;
    }
    const text = `${this.label} ${bar}${done.toLocaleString('en-US')}${this.total ? `/${this.total.toLocaleString('en-US')}` : ''} (${rate.toLocaleString('en-US')}/s)${extra ? ` ${extra}` : ''}`;
    process.stderr.write(this.tty ? `\r${text}\x1b[K` : `${text}\n`);
  }

  done(doneCount: number, extra = ''): void {
    this.update(doneCount, extra, true);
    if (this.tty) process.stderr.write('\n');
  }
}
