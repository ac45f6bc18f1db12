/**
 * The tenant rate limiter (shared/tenants/rate-limiter.ts) with sandboxes simulated as separate limiters over
 * one shared in-memory counter table and a fake clock: the stated bounds hold for any schedule, a quiet tenant
 * costs no write, a busy sandbox about one write per second.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freeAllowance, RateLimiter } from '../../shared/tenants/rate-limiter';

/** One table of counters shared by every sandbox, counting the leases (the writes). */
function counterTable() {
  const totals = new Map<string, number>();
  let writes = 0;
  return {
    totals,
    get writes() {
      return writes;
    },
    lease: async (tenant: string, window: number, n: number) => {
      writes += 1;
      const key = `${tenant}#${window}`;
      const total = (totals.get(key) ?? 0) + n;
      totals.set(key, total);
      return total;
    },
  };
}

function sandboxes(count: number, limit: number, clock: { now: number }, table = counterTable()) {
  return Array.from(
    { length: count },
    () =>
      new RateLimiter({
        limitOf: async () => limit,
        lease: table.lease,
        now: () => clock.now,
      }),
  );
}

describe('rate limiter', () => {
  it('serves a quiet tenant with no write at all (up to 1% of its limit per sandbox and second)', async () => {
    const clock = { now: 1_000_000 };
    const table = counterTable();
    const [sandbox] = sandboxes(1, 1000, clock, table);
    for (let i = 0; i < 300; i += 1) {
      clock.now += 100; // 10 requests per second: exactly the free allowance
      expect((await sandbox!.check('t')).allowed).toBe(true);
    }
    expect(table.writes).toBe(0);
  });

  it('makes about one write per second in a busy sandbox, whatever its rate', async () => {
    for (const perSecond of [11, 50, 400]) {
      const clock = { now: 2_000_000 };
      const table = counterTable();
      const [sandbox] = sandboxes(1, 1000, clock, table);
      const seconds = 20;
      for (let i = 0; i < perSecond * seconds; i += 1) {
        clock.now = 2_000_000 + Math.floor((i * 1000) / perSecond);
        expect((await sandbox!.check('t')).allowed).toBe(true);
      }
      // The first second sizes the block from nothing (a few leases); every later one takes one.
      expect(table.writes).toBeLessThanOrEqual(seconds + 10);
      expect(table.writes / (perSecond * seconds)).toBeLessThanOrEqual(1 / freeAllowance(1000));
    }
  });

  it('refuses over the limit with the seconds to the next window, then serves again', async () => {
    const clock = { now: 3_000_000 };
    const [sandbox] = sandboxes(1, 5, clock);
    const decisions = [];
    for (let i = 0; i < 8; i += 1) decisions.push(await sandbox!.check('t'));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false, false]);
    expect(decisions[5]).toEqual({ allowed: false, limit: 5, resetSeconds: 1 });
    clock.now += 1000;
    expect((await sandbox!.check('t')).allowed).toBe(true);
    expect((await sandbox!.check('other')).allowed).toBe(true);
  });

  it('keeps one lease in flight per tenant: concurrent requests wait for it', async () => {
    const clock = { now: 4_000_000 };
    let leases = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const limiter = new RateLimiter({
      limitOf: async () => 3,
      lease: async (_t, _w, n) => {
        leases += 1;
        await gate;
        return n;
      },
      now: () => clock.now,
    });
    const all = Promise.all(Array.from({ length: 3 }, () => limiter.check('t')));
    release();
    const decisions = await all;
    expect(decisions.filter((d) => d.allowed)).toHaveLength(3);
    expect(leases).toBeLessThanOrEqual(3);
  });

  it('fails open, bounded by the block it asked for, when the counter write fails', async () => {
    const clock = { now: 5_000_000 };
    const errors: unknown[] = [];
    const limiter = new RateLimiter({
      limitOf: async () => 5,
      lease: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
      now: () => clock.now,
      onLeaseError: (error) => errors.push(error),
    });
    const decisions = [];
    for (let i = 0; i < 8; i += 1) decisions.push((await limiter.check('t')).allowed);
    // The first lease asks for one token (no history); after that the sandbox asks for (and, failing, grants
    // itself) at most its own previous demand, never more than the limit.
    expect(decisions.filter(Boolean).length).toBeGreaterThan(0);
    expect(decisions.filter(Boolean).length).toBeLessThanOrEqual(5);
    expect(errors.length).toBeGreaterThan(0);
  });

  it('bounds every window for any schedule: served ≤ limit + S × free; a refusal means the window was given out', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1500 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.tuple(fc.nat(5), fc.integer({ min: 0, max: 40 })), { minLength: 1, maxLength: 400 }),
        async (limit, count, schedule) => {
          const clock = { now: 10_000_000 };
          const table = counterTable();
          const limiters = sandboxes(count, limit, clock, table);
          const served = new Map<number, number>();
          const refused = new Map<number, number>();
          for (const [which, advance] of schedule) {
            clock.now += advance;
            const window = Math.floor(clock.now / 1000);
            const { allowed } = await limiters[which % count]!.check('t');
            const tally = allowed ? served : refused;
            tally.set(window, (tally.get(window) ?? 0) + 1);
          }
          for (const n of served.values()) {
            expect(n).toBeLessThanOrEqual(limit + count * freeAllowance(limit));
          }
          for (const window of refused.keys()) {
            // Refused only once the window's counter reached the limit.
            expect(table.totals.get(`t#${window}`) ?? 0).toBeGreaterThanOrEqual(limit);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('with one sandbox, serves exactly min(demand, limit) in every window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 600 }),
        async (limit, advances) => {
          const clock = { now: 20_000_000 };
          const [sandbox] = sandboxes(1, limit, clock);
          const demand = new Map<number, number>();
          const served = new Map<number, number>();
          for (const advance of advances) {
            clock.now += advance;
            const window = Math.floor(clock.now / 1000);
            demand.set(window, (demand.get(window) ?? 0) + 1);
            if ((await sandbox!.check('t')).allowed) served.set(window, (served.get(window) ?? 0) + 1);
          }
          for (const [window, d] of demand) expect(served.get(window) ?? 0).toBe(Math.min(d, limit));
        },
      ),
      { numRuns: 150 },
    );
  });
});
