import { describe, expect, it } from 'vitest';
import {
  BACKOFF,
  fullJitterMs,
  isThrottling,
  requeueDelaySeconds,
  retryThrottled,
} from '../../shared/pipeline/throttling';

const named = (name: string, status?: number) =>
  Object.assign(new Error(name), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });

describe('isThrottling', () => {
  it('takes throttling names, 429 and 5xx, and nothing else', () => {
    for (const name of ['ThrottlingException', 'TooManyRequestsException', 'ServiceUnavailable']) {
      expect(isThrottling(named(name))).toBe(true);
    }
    expect(isThrottling(named('Whatever', 429))).toBe(true);
    expect(isThrottling(named('Whatever', 503))).toBe(true);
    expect(isThrottling(named('ExecutionAlreadyExists', 400))).toBe(false);
    expect(isThrottling(named('AccessDeniedException', 400))).toBe(false);
    expect(isThrottling(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(false);
    expect(isThrottling(null)).toBe(false);
  });
});

describe('backoff', () => {
  it('draws full jitter below min(cap, base × 2^n)', () => {
    expect([0, 1, 2, 3].map((n) => fullJitterMs(n, BACKOFF, () => 0.999))).toEqual([99, 199, 399, 799]);
    expect(fullJitterMs(20, BACKOFF, () => 0.999)).toBe(4_995);
    expect(fullJitterMs(5, BACKOFF, () => 0)).toBe(0);
  });

  it('re-queues after 30 to 90 s', () => {
    expect(requeueDelaySeconds(() => 0)).toBe(30);
    expect(requeueDelaySeconds(() => 0.9999)).toBe(90);
  });
});

describe('retryThrottled', () => {
  const clock = () => {
    let now = 0;
    return { now: () => now, sleep: async (ms: number) => void (now += ms) };
  };

  it('retries throttling until the call succeeds, sleeping the jittered waits', async () => {
    const { now, sleep } = clock();
    let calls = 0;
    const result = await retryThrottled(
      async () => {
        if (++calls < 4) throw named('ThrottlingException');
        return 'ok';
      },
      { deadlineMs: 60_000, now, sleep, random: () => 0.5 },
    );
    expect(result).toEqual({ ok: true, value: 'ok', attempts: 4 });
    expect(now()).toBe(50 + 100 + 200);
  });

  it('gives up throttled when the next wait would pass the deadline, or at the attempt cap', async () => {
    const throttled = async () => {
      throw named('ThrottlingException');
    };
    const timed = clock();
    const byTime = await retryThrottled(throttled, { deadlineMs: 1_000, ...timed, random: () => 0.5 });
    expect(byTime).toMatchObject({ ok: false, attempts: 5 }); // waits 50+100+200+400, then 800 would pass 1,000
    expect(timed.now()).toBe(750);
    const capped = await retryThrottled(throttled, { deadlineMs: Infinity, ...clock(), random: () => 0 });
    expect(capped).toMatchObject({ ok: false, attempts: BACKOFF.maxAttempts });
  });

  it('throws any other error at once', async () => {
    let calls = 0;
    const failing = retryThrottled(
      async () => {
        calls++;
        throw named('AccessDeniedException', 400);
      },
      { deadlineMs: Infinity, ...clock() },
    );
    await expect(failing).rejects.toThrow('AccessDeniedException');
    expect(calls).toBe(1);
  });
});
