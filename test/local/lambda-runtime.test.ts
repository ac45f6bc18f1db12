import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleFunctions, type BundleResult } from '../../local/lambda/bundle';
import { LambdaInvokeError } from '../../local/lambda/errors';
import { functionArn, LambdaRuntime } from '../../local/lambda/runtime';

const standIn = 'test/local/fixtures/stand-in.ts';
let dir: string;
let runtime: LambdaRuntime<'alpha' | 'beta' | 'slow' | 'missing' | 'background'>;
let built: BundleResult;

const definition = (name: string, env: Record<string, string>, timeoutSeconds = 5, background = false) => ({
  name,
  functionName: `sluice-${name}`,
  arn: functionArn('us-east-1', '000000000000', `sluice-${name}`),
  bundle: built.bundles[['slow', 'background'].includes(name) ? 'alpha' : name],
  buildError: built.failures[name],
  env,
  timeoutSeconds,
  memoryMb: 256,
  background,
});

const rendezvousIn = (names: string[] = []) => ({
  action: 'rendezvous',
  dir: mkdtempSync(join(dir, 'rendezvous-')),
  party: 2,
  waitMs: 4_000,
  names,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-runtime-'));
  built = await bundleFunctions(
    { alpha: standIn, beta: standIn, missing: 'test/local/fixtures/nope.ts' },
    dir,
  );
  runtime = new LambdaRuntime({
    bootstrap: built.bootstrap,
    functions: [
      definition('alpha', { ONLY_ALPHA: 'a', SHARED: 'alpha' }),
      definition('beta', { SHARED: 'beta' }),
      definition('slow', {}, 0.3),
      definition('missing', {}),
      definition('background', {}, 5, true),
    ],
    maxConcurrency: 2,
    cpuHeadroom: false, // scaling out here must not depend on how busy the machine running the tests is
    asyncRetryDelaysMs: [20, 20],
  });
});

afterAll(async () => {
  await runtime?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('expected the invocation to fail'),
    (error: unknown) => error as LambdaInvokeError,
  );

describe('local Lambda runtime', () => {
  it('gives each function its own environment, invisible to the others and to the host', async () => {
    const names = ['ONLY_ALPHA', 'SHARED'];
    expect(await runtime.invoke('alpha', { action: 'env', names })).toEqual({
      ONLY_ALPHA: 'a',
      SHARED: 'alpha',
    });
    expect(await runtime.invoke('beta', { action: 'env', names })).toEqual({
      ONLY_ALPHA: null,
      SHARED: 'beta',
    });
    await runtime.invoke('alpha', { action: 'set-env', name: 'LEAK', value: 'x' });
    expect(await runtime.invoke('beta', { action: 'env', names: ['LEAK'] })).toEqual({ LEAK: null });
    expect(process.env.LEAK).toBeUndefined();
  });

  it('passes a Lambda context and resolves by ARN', async () => {
    const result = (await runtime.invokeArn(functionArn('us-east-1', '000000000000', 'sluice-beta'), {
      action: 'context',
    })) as { functionName: string; awsRequestId: string; remaining: number };
    expect(result.functionName).toBe('sluice-beta');
    expect(result.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.remaining).toBeGreaterThan(4_000);
    expect(result.remaining).toBeLessThanOrEqual(5_000);
  });

  it("reports a handler's exception with the error's name as errorType", async () => {
    const error = await rejection(
      runtime.invoke('alpha', { action: 'throw', errorType: 'TransientError', message: 'try again' }),
    );
    expect(error).toBeInstanceOf(LambdaInvokeError);
    expect(error.name).toBe('LambdaInvokeError');
    expect(error.errorType).toBe('TransientError');
    expect(error.errorMessage).toBe('try again');
    expect(error.trace[0]).toContain('TransientError: try again');
  });

  it('times out with Sandbox.Timedout, replaces the sandbox and keeps serving', async () => {
    const error = await rejection(runtime.invoke('slow', { action: 'sleep', ms: 5_000 }));
    expect(error.errorType).toBe('Sandbox.Timedout');
    expect(error.errorMessage).toBe('Task timed out after 0.30 seconds');
    expect(await runtime.invoke('slow', { action: 'sleep', ms: 10 })).toEqual({ slept: 10 });
  });

  it('runs invocations concurrently up to the cap and queues the rest', async () => {
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => runtime.invoke('beta', { action: 'sleep', ms: 200 })),
    );
    expect(results).toHaveLength(4);
    expect(runtime.sandboxCount('beta')).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('runs invocations of one function side by side, each in its own environment', async () => {
    const names = ['ONLY_ALPHA', 'SHARED', 'MINE'];
    await runtime.invoke('alpha', { action: 'set-env', name: 'MINE', value: 'this sandbox only' });
    const rendezvous = rendezvousIn(names);
    type Met = { sandbox: number; met: boolean; env: Record<string, string | null> };
    const runs = (await Promise.all([
      runtime.invoke('alpha', rendezvous),
      runtime.invoke('alpha', rendezvous),
    ])) as Met[];
    expect(runs.map((run) => run.met)).toEqual([true, true]); // each waited for the other: they overlapped
    expect(runs[0]!.sandbox).not.toBe(runs[1]!.sandbox);
    // Each sees the function's environment; what one sandbox set stays in that sandbox.
    for (const run of runs) expect(run.env).toMatchObject({ ONLY_ALPHA: 'a', SHARED: 'alpha' });
    expect(runs.map((run) => run.env.MINE)).toEqual(expect.arrayContaining(['this sandbox only', null]));
    await Promise.all(Array.from({ length: 6 }, () => runtime.invoke('alpha', { action: 'sleep', ms: 50 })));
    expect(runtime.sandboxCount('alpha')).toBe(2); // never more than the concurrency limit
  });

  it.runIf(process.platform === 'linux')('runs background functions at a lower OS priority', async () => {
    // Relative to the test process's own priority (0 normally; CI may run the suite niced).
    const host = getPriority();
    expect(await runtime.invoke('alpha', { action: 'nice' })).toBe(host);
    expect(await runtime.invoke('background', { action: 'nice' })).toBe(Math.min(19, host + 10));
  });

  it.runIf(process.platform === 'linux')(
    "knows each sandbox's OS thread id (local/cpu.ts reads its CPU time)",
    async () => {
      const tid = await runtime.invoke('beta', { action: 'os-thread' });
      expect(tid).not.toBe(process.pid);
      expect(runtime.threadIds().get('beta')).toContain(tid);
    },
  );

  it('scales out beyond one sandbox only while the CPU has some to spare', async () => {
    let spare = false;
    const gated = new LambdaRuntime({
      bootstrap: built.bootstrap,
      functions: [definition('alpha', {})],
      maxConcurrency: 4,
      cpuHeadroom: { hasSpare: () => spare },
    });
    try {
      const sleeps = Array.from({ length: 3 }, () => gated.invoke('alpha', { action: 'sleep', ms: 100 }));
      expect(await Promise.all(sleeps)).toHaveLength(3);
      expect(gated.sandboxCount('alpha')).toBe(1); // the first sandbox served them one after the other
      spare = true;
      const rendezvous = rendezvousIn();
      const runs = await Promise.all([gated.invoke('alpha', rendezvous), gated.invoke('alpha', rendezvous)]);
      expect(runs).toMatchObject([{ met: true }, { met: true }]);
      expect(gated.sandboxCount('alpha')).toBe(2);
    } finally {
      await gated.stop();
    }
  });

  it('fails the next N invocations with an injected fault without running the handler', async () => {
    runtime.faults.inject({
      function: 'alpha',
      errorType: 'Lambda.ServiceException',
      errorMessage: 'boom',
      times: 2,
    });
    for (let i = 0; i < 2; i++) {
      const error = await rejection(
        runtime.invoke('alpha', { action: 'set-env', name: 'RAN', value: 'yes' }),
      );
      expect(error).toMatchObject({ errorType: 'Lambda.ServiceException', errorMessage: 'boom' });
    }
    expect(await runtime.invoke('alpha', { action: 'env', names: ['RAN'] })).toEqual({ RAN: null });
    runtime.faults.inject({ function: 'alpha', errorType: 'X', times: 1 });
    runtime.faults.clear();
    expect(await runtime.invoke('alpha', { action: 'env', names: ['SHARED'] })).toEqual({ SHARED: 'alpha' });
  });

  it('reports a sandbox that exits as Runtime.ExitError and starts a new one', async () => {
    const error = await rejection(runtime.invoke('beta', { action: 'exit', code: 3 }));
    expect(error.errorType).toBe('Runtime.ExitError');
    expect(error.errorMessage).toContain('exit status 3');
    expect(await runtime.invoke('beta', { action: 'env', names: ['SHARED'] })).toEqual({ SHARED: 'beta' });
  });

  it('retries a failed asynchronous invocation twice, as Lambda does', async () => {
    runtime.faults.inject({ function: 'alpha', errorType: 'Lambda.ServiceException', times: 2 });
    runtime.invokeAsync('alpha', { action: 'set-env', name: 'ASYNC', value: 'third attempt' });
    await new Promise((resolve) => setTimeout(resolve, 200)); // the retries come 20 ms apart
    const deadline = Date.now() + 3_000;
    let seen: unknown;
    while (Date.now() < deadline) {
      seen = await runtime.invoke('alpha', { action: 'env', names: ['ASYNC'] });
      if ((seen as { ASYNC: string | null }).ASYNC) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(seen).toEqual({ ASYNC: 'third attempt' });
  });

  it('reports a function that did not build as Runtime.ImportModuleError', async () => {
    const error = await rejection(runtime.invoke('missing', {}));
    expect(error.errorType).toBe('Runtime.ImportModuleError');
    expect(error.errorMessage).toContain('nope.ts');
  });
});
