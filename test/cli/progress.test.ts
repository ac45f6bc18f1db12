import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatTable } from '../../cli/format';
import { formatProgressBar, formatProgressLine, ProgressReporter } from '../../cli/progress';

const MiB = 1024 * 1024;

describe('formatting', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [10 * MiB, '10.0 MiB'],
    [3 * 1024 * MiB, '3.0 GiB'],
  ])('formatBytes(%d) = %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));

  it.each([
    [0.4, '0s'],
    [59, '59s'],
    [75, '1m15s'],
    [3725, '1h02m'],
  ])('formatDuration(%d) = %s', (seconds, text) => expect(formatDuration(seconds)).toBe(text));

  it('aligns table columns without trailing blanks', () => {
    expect(
      formatTable(
        ['A', 'LONG'],
        [
          ['xyz', ''],
          ['1', '2'],
        ],
      ),
    ).toBe('A    LONG\nxyz\n1    2');
  });
});

describe('progress text', () => {
  const halfway = { sent: 5 * MiB, total: 10 * MiB, elapsedMs: 2000 };

  it('draws a bar with bytes, rate and ETA for terminals', () => {
    expect(formatProgressBar(halfway, 10)).toBe('[#####-----]   50%  5.0 MiB / 10.0 MiB  2.5 MiB/s  ETA 2s');
  });

  it('writes a plain sentence for logs', () => {
    expect(formatProgressLine(halfway)).toBe('uploaded 5.0 MiB of 10.0 MiB (50%), 2.5 MiB/s, ETA 2s');
  });

  it('has no rate or ETA before anything was sent, and no ETA once done', () => {
    expect(formatProgressBar({ sent: 0, total: MiB, elapsedMs: 0 }, 4)).toBe(
      '[----]    0%  0 B / 1.0 MiB  --/s  ETA --',
    );
    expect(formatProgressLine({ sent: MiB, total: MiB, elapsedMs: 500 })).toBe(
      'uploaded 1.0 MiB of 1.0 MiB (100%), 2.0 MiB/s',
    );
  });

  it('counts an empty file as complete', () => {
    expect(formatProgressLine({ sent: 0, total: 0, elapsedMs: 10 })).toBe('uploaded 0 B of 0 B (100%)');
  });
});

function capture() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { out, text: () => text };
}

describe('ProgressReporter', () => {
  it('without a terminal, prints a line per 10% step, at most one per step, and none twice at the end', () => {
    let now = 0;
    const { out, text } = capture();
    const reporter = new ProgressReporter({ total: 100, out, tty: false, now: () => now });
    for (let sent = 1; sent <= 100; sent += 1) {
      now += 5; // 0.5 s for the whole transfer: only the 10% steps print
      reporter.update(sent);
    }
    reporter.finish();
    const lines = text().trimEnd().split('\n');
    expect(lines.map((l) => l.match(/\((\d+)%\)/)?.[1])).toEqual([
      '1',
      '10',
      '20',
      '30',
      '40',
      '50',
      '60',
      '70',
      '80',
      '90',
      '100',
    ]);
    expect(text()).not.toContain('\r');
  });

  it('without a terminal, also prints every second when progress is slow', () => {
    let now = 0;
    const { out, text } = capture();
    const reporter = new ProgressReporter({ total: 1000, out, tty: false, now: () => now });
    reporter.update(1);
    now += 400;
    reporter.update(2); // same step, under a second: silent
    now += 700;
    reporter.update(3); // same step, over a second since the last line
    expect(text().trimEnd().split('\n')).toHaveLength(2);
  });

  it('prints a final line when the last step was not reached by updates', () => {
    const { out, text } = capture();
    const reporter = new ProgressReporter({ total: 0, out, tty: false, now: () => 0 });
    reporter.finish();
    reporter.finish();
    expect(text()).toBe('uploaded 0 B of 0 B (100%)\n');
  });

  it('on a terminal, redraws one line in place at most every 100 ms and ends it with a newline', () => {
    let now = 0;
    const { out, text } = capture();
    const reporter = new ProgressReporter({ total: 100, out, tty: true, now: () => now });
    reporter.update(10); // drawn
    now += 50;
    reporter.update(20); // too soon
    now += 60;
    reporter.update(30); // drawn
    now += 10;
    reporter.update(100);
    reporter.finish(); // always drawn
    const frames = text().split('\r\x1b[2K').filter(Boolean);
    expect(frames.map((f) => f.match(/(\d+)%/)?.[1])).toEqual(['10', '30', '100']);
    expect(text().endsWith('\n')).toBe(true);
    expect(text().split('\n')).toHaveLength(2);
  });
});
