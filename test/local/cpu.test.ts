import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuByPart, cpuSince } from '../../local/cpu';

describe('local CPU accounting (benchmarks)', () => {
  it('takes the difference of two readings, a part first seen in the second one counting from 0', () => {
    expect(cpuSince({ a: 10, b: 5 }, { a: 25, b: 5, c: 7 })).toEqual({ a: 15, b: 0, c: 7 });
  });

  it.runIf(existsSync('/proc/self/stat'))(
    "charges this thread's work to the main thread and skips processes that do not exist",
    () => {
      const parts = { sandboxThreads: new Map([['f', [2 ** 30]]]), children: { gone: 2 ** 30 } };
      const before = cpuByPart(parts);
      const until = performance.now() + 300;
      while (performance.now() < until); // burn 300 ms of this thread's CPU
      const used = cpuSince(before, cpuByPart(parts));
      expect(used['host main thread']).toBeGreaterThanOrEqual(200);
      expect(used).not.toHaveProperty('gone');
      expect(used['λ f']).toBe(0); // a thread id that is not ours reads as nothing
    },
  );
});
