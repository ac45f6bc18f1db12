import { describe, expect, it } from 'vitest';
import { runChecksBounded, type Check } from '../../shared/schemas/time-bound';

const forever: Check = () => {
  for (;;) {
    // a check that never returns
  }
};
const swallowing: Check = () => {
  try {
    for (;;) {
      // try/catch cannot keep it running
    }
  } catch {
    return null;
  }
};

describe('runChecksBounded', () => {
  it('returns every check’s result in order', () => {
    const checks: Check[] = [() => null, () => 'data: no', () => null];
    expect(runChecksBounded(checks, { perEventMs: 1_000, perChunkMs: 10_000 })).toEqual([
      null,
      'data: no',
      null,
    ]);
  });

  it('stops a check that runs past perEventMs (even one that catches), and runs the rest', () => {
    const stopped: number[] = [];
    const results = runChecksBounded(
      [() => null, forever, () => 'data: no', swallowing, () => null],
      { perEventMs: 30, perChunkMs: 10_000 },
      (i) => stopped.push(i),
    );
    expect(results).toEqual([
      null,
      'data: schema validation stopped after 30 ms',
      'data: no',
      'data: schema validation stopped after 30 ms',
      null,
    ]);
    // A check stopped inside a batch it did not start is told of, then re-run alone before it is rejected.
    expect([...new Set(stopped)]).toEqual([1, 3]);
  });

  it('rejects what is left once the chunk’s budget is spent', () => {
    const results = runChecksBounded([forever, forever, forever, () => null, () => null], {
      perEventMs: 40,
      perChunkMs: 100,
    });
    expect(results.slice(0, 2)).toEqual([
      'data: schema validation stopped after 40 ms',
      'data: schema validation stopped after 40 ms',
    ]);
    expect(results.slice(3)).toEqual([
      'data: not validated: this chunk spent its 100 ms schema validation budget',
      'data: not validated: this chunk spent its 100 ms schema validation budget',
    ]);
  });

  it('turns a check that throws into its event’s reason', () => {
    const deep = (n: number): number => deep(n + 1) + 1;
    const results = runChecksBounded(
      [
        () => {
          throw new TypeError('boom');
        },
        () => String(deep(0)),
        () => null,
      ],
      { perEventMs: 1_000, perChunkMs: 10_000 },
    );
    expect(results).toEqual([
      'data: could not be validated (TypeError: boom)',
      'data: could not be validated (RangeError: Maximum call stack size exceeded)',
      null,
    ]);
  });
});
