import { formatBytes, formatDuration } from './format';
import type { OutputStream } from './io';

export interface ProgressSnapshot {
  sent: number;
  total: number;
  elapsedMs: number;
}

interface Derived {
  percent: number;
  rate?: number;
  etaSeconds?: number;
}

function derive({ sent, total, elapsedMs }: ProgressSnapshot): Derived {
  const percent = total > 0 ? Math.min(100, Math.floor((sent / total) * 100)) : 100;
  if (elapsedMs <= 0 || sent <= 0) return { percent };
  const rate = sent / (elapsedMs / 1000);
  return { percent, rate, etaSeconds: Math.max(0, total - sent) / rate };
}

/** The bar redrawn in place on a terminal: `[#####-----]  50%  5.0 MiB / 10.0 MiB  2.5 MiB/s  ETA 2s`. */
export function formatProgressBar(snapshot: ProgressSnapshot, width = 24): string {
  const { percent, rate, etaSeconds } = derive(snapshot);
  const filled = Math.round((percent / 100) * width);
  return [
    `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`,
    `${String(percent).padStart(3)}%`,
    `${formatBytes(snapshot.sent)} / ${formatBytes(snapshot.total)}`,
    rate === undefined ? '--/s' : `${formatBytes(rate)}/s`,
    `ETA ${etaSeconds === undefined ? '--' : formatDuration(etaSeconds)}`,
  ].join('  ');
}

/** One log line, for when stderr is not a terminal: `uploaded 5.0 MiB of 10.0 MiB (50%), 2.5 MiB/s, ETA 2s`. */
export function formatProgressLine(snapshot: ProgressSnapshot): string {
  const { percent, rate, etaSeconds } = derive(snapshot);
  const speed = rate === undefined ? '' : `, ${formatBytes(rate)}/s`;
  const eta =
    etaSeconds === undefined || snapshot.sent >= snapshot.total ? '' : `, ETA ${formatDuration(etaSeconds)}`;
  return `uploaded ${formatBytes(snapshot.sent)} of ${formatBytes(snapshot.total)} (${percent}%)${speed}${eta}`;
}

export interface ProgressOptions {
  total: number;
  out: OutputStream;
  /** A terminal gets a bar redrawn in place; anything else gets a line per 10% step or per second. */
  tty: boolean;
  now?: () => number;
}

const redrawMs = 100;
const lineEveryMs = 1000;
const lineEveryPercent = 10;

export class ProgressReporter {
  private readonly now: () => number;
  private readonly started: number;
  private lastWrite = Number.NEGATIVE_INFINITY;
  private lastStep = -1;
  private sent = 0;
  private finished = false;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? Date.now;
    this.started = this.now();
  }

  update(sent: number): void {
    this.sent = sent;
    const at = this.now();
    const snapshot = this.snapshot(at);
    if (this.options.tty) {
      if (at - this.lastWrite >= redrawMs) this.redraw(snapshot, at);
      return;
    }
    const step = Math.floor(derive(snapshot).percent / lineEveryPercent);
    if (step > this.lastStep || at - this.lastWrite >= lineEveryMs) {
      this.lastStep = step;
      this.lastWrite = at;
      this.options.out.write(`${formatProgressLine(snapshot)}\n`);
    }
  }

  /** Shows the final state once: the full bar and a newline, or a last line if 100% was not printed yet. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const at = this.now();
    const snapshot = this.snapshot(at);
    if (this.options.tty) {
      this.redraw(snapshot, at);
      this.options.out.write('\n');
    } else if (this.lastStep < lineEveryPercent) {
      this.options.out.write(`${formatProgressLine(snapshot)}\n`);
    }
  }

  private snapshot(at: number): ProgressSnapshot {
    return { sent: this.sent, total: this.options.total, elapsedMs: at - this.started };
  }

  private redraw(snapshot: ProgressSnapshot, at: number): void {
    this.lastWrite = at;
    this.options.out.write(`\r\x1b[2K${formatProgressBar(snapshot)}`);
  }
}
