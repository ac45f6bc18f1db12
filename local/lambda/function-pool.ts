/**
 * The execution environments of one function. Each sandbox serves one invocation at a time; invocations run
 * concurrently in as many sandboxes as they need, up to `maxConcurrency` (the function's concurrency limit;
 * further invocations wait their turn). Warm sandboxes are reused; when none is idle a new one starts (its init
 * phase, not counted against the timeout), and the waiting invocation takes whichever sandbox is free first: the
 * new one once initialized, or a busy one that finished meanwhile.
 *
 * On one machine an init (compiling the bundle, reading its source map) takes the CPU the warm sandboxes need,
 * and every sandbox is one more V8 heap and JIT to warm up, so scaling out is paced (Lambda paces it too, at
 * 1,000 environments per 10 s per function): at most `maxStarting` inits at a time, never more sandboxes than
 * invocations wait, and beyond the first sandbox only while the machine has CPU to spare (cpu-headroom.ts).
 * Idle extras are shut down after a while. A sandbox that times out is terminated, as Lambda does, and the
 * invocation fails with `Sandbox.Timedout`.
 */
import { randomUUID } from 'node:crypto';
import { LambdaInvokeError } from './errors';
import type { CpuHeadroom } from './cpu-headroom';
import { Sandbox } from './sandbox';
import type { Meter } from '../meter/meter';

export interface FunctionDefinition {
  /** The name callers use (the wiring name). */
  name: string;
  /** The deployed function name (AWS_LAMBDA_FUNCTION_NAME). */
  functionName: string;
  arn: string;
  /** The bundle to run; absent when the function did not build (`buildError` says why). */
  bundle?: string;
  buildError?: string;
  env: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  /**
   * Only invoked asynchronously (queue, workflow, events), never by a waiting API caller: its sandboxes run at a
   * lower OS priority, see bootstrap.ts.
   */
  background?: boolean;
}

export interface PoolOptions {
  bootstrap: string;
  maxConcurrency: number;
  /** Sandboxes in their init phase at a time, at most. */
  maxStarting: number;
  idleMs: number;
  /** Gates scaling out beyond the first sandbox; absent: no gate. */
  headroom?: Pick<CpuHeadroom, 'hasSpare'>;
  log: (line: string) => void;
  /** The cost meter: invocations, billed duration, init time and log lines. */
  meter?: Meter;
}

interface Waiter {
  resolve(sandbox: Sandbox): void;
  reject(error: Error): void;
}

const stoppedError = () =>
  new LambdaInvokeError('Lambda.ServiceException', 'The local Lambda runtime is stopped');

/** Lambda's limit on a synchronous invocation's response (its JSON, in bytes): 6 MiB + 100. */
export const maxResponseBytes = 6_291_556;

const responseTooLarge = () =>
  new LambdaInvokeError(
    'Function.ResponseSizeTooLarge',
    `Response payload size exceeded maximum allowed payload size (${maxResponseBytes} bytes).`,
  );

const timeoutError = (seconds: number) =>
  new LambdaInvokeError('Sandbox.Timedout', `Task timed out after ${seconds.toFixed(2)} seconds`);

export class FunctionPool {
  private readonly idle: Sandbox[] = [];
  private readonly sandboxes = new Set<Sandbox>();
  private readonly waiting: Waiter[] = [];
  /** Sandboxes in their init phase. */
  private starting = 0;
  /** A later scale-out attempt, while invocations wait for CPU to spare. */
  private retry?: NodeJS.Timeout;
  private readonly reaper: NodeJS.Timeout;
  private stopped = false;

  constructor(
    readonly definition: FunctionDefinition,
    private readonly options: PoolOptions,
  ) {
    this.reaper = setInterval(() => this.reapIdle(), Math.max(1_000, options.idleMs / 2));
    this.reaper.unref();
  }

  get size(): number {
    return this.sandboxes.size;
  }

  /** The OS thread ids of its live sandboxes (Linux; local/cpu.ts). */
  threadIds(): number[] {
    return [...this.sandboxes].flatMap((sandbox) =>
      sandbox.osThreadId === undefined ? [] : [sandbox.osThreadId],
    );
  }

  async invoke(event: unknown): Promise<unknown> {
    const { definition } = this;
    if (!definition.bundle) {
      throw new LambdaInvokeError('Runtime.ImportModuleError', definition.buildError ?? 'no bundle');
    }
    const sandbox = await this.acquire();
    let timer: NodeJS.Timeout | undefined;
    let released = false;
    try {
      const timeoutMs = definition.timeoutSeconds * 1000;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeoutError(definition.timeoutSeconds)), timeoutMs);
      });
      const invoked = performance.now();
      const run = sandbox.run(JSON.stringify(event ?? null), {
        awsRequestId: randomUUID(),
        deadlineMs: Date.now() + timeoutMs,
        functionName: definition.functionName,
        invokedFunctionArn: definition.arn,
        memoryLimitInMB: String(definition.memoryMb),
      });
      const reply = await Promise.race([run, timedOut]).finally(() =>
        this.options.meter?.lambdaInvoked(definition.name, definition.memoryMb, performance.now() - invoked),
      );
      this.release(sandbox);
      released = true;
      if (!reply.ok)
        throw new LambdaInvokeError(reply.error.errorType, reply.error.errorMessage, reply.error.trace);
      if (Buffer.byteLength(reply.result) > maxResponseBytes) throw responseTooLarge();
      return JSON.parse(reply.result);
    } catch (error) {
      // Timed out or crashed: that environment is gone.
      if (!released) this.discard(sandbox);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.reaper);
    clearTimeout(this.retry);
    for (const waiter of this.waiting.splice(0)) waiter.reject(stoppedError());
    await Promise.all([...this.sandboxes].map((sandbox) => sandbox.terminate()));
    this.sandboxes.clear();
    this.idle.length = 0;
  }

  /** An initialized sandbox for one invocation: an idle one, or the first to become free. */
  private acquire(): Promise<Sandbox> {
    if (this.stopped) return Promise.reject(stoppedError());
    const warm = this.idle.pop();
    if (warm) return Promise.resolve(warm);
    const handedOver = new Promise<Sandbox>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.scaleOut();
    return handedOver;
  }

  /** Starts one sandbox per waiting invocation that no starting sandbox will serve, within the limits. */
  private scaleOut(): void {
    while (
      !this.stopped &&
      this.starting < this.waiting.length &&
      this.starting < this.options.maxStarting &&
      this.sandboxes.size < this.options.maxConcurrency
    ) {
      if (this.sandboxes.size > 0 && !this.cpuToSpare()) {
        // The busy sandboxes serve the waiting invocations as they finish; look again in a moment.
        this.retry ??= setTimeout(() => {
          this.retry = undefined;
          this.scaleOut();
        }, 250);
        return;
      }
      this.start();
    }
  }

  private cpuToSpare(): boolean {
    const { headroom } = this.options;
    return !headroom || headroom.hasSpare(this.definition.background ?? false);
  }

  private start(): void {
    const { definition, options } = this;
    const sandbox = new Sandbox({
      bootstrap: options.bootstrap,
      bundle: definition.bundle!,
      env: definition.env,
      memoryMb: definition.memoryMb,
      background: definition.background ?? false,
      log: (line) => {
        options.meter?.lambdaLogLine(definition.name, definition.memoryMb, line);
        options.log(`[${definition.name}] ${line}`);
      },
    });
    const initStarted = performance.now();
    this.sandboxes.add(sandbox);
    this.starting++;
    sandbox.ready.then(
      () => {
        options.meter?.lambdaInitialized(
          definition.name,
          definition.memoryMb,
          performance.now() - initStarted,
        );
        this.starting--;
        if (!this.sandboxes.has(sandbox)) return; // stopped meanwhile
        this.release(sandbox);
        this.scaleOut();
      },
      (error: Error) => {
        // The environment died in its init phase: the invocation waiting longest fails with that error.
        this.starting--;
        this.sandboxes.delete(sandbox);
        this.waiting.shift()?.reject(error);
        this.scaleOut();
      },
    );
  }

  private release(sandbox: Sandbox): void {
    sandbox.lastUsed = Date.now();
    const next = this.waiting.shift();
    if (next) next.resolve(sandbox);
    else this.idle.push(sandbox);
  }

  /** A dead or timed-out sandbox: another one starts if invocations wait. */
  private discard(sandbox: Sandbox): void {
    this.sandboxes.delete(sandbox);
    const index = this.idle.indexOf(sandbox);
    if (index >= 0) this.idle.splice(index, 1);
    void sandbox.terminate();
    this.scaleOut();
  }

  /** Keeps one warm sandbox; shuts down the others once idle for `idleMs`. */
  private reapIdle(): void {
    const now = Date.now();
    for (const sandbox of [...this.idle]) {
      if (this.idle.length <= 1) break;
      if (now - sandbox.lastUsed >= this.options.idleMs) {
        this.idle.splice(this.idle.indexOf(sandbox), 1);
        this.sandboxes.delete(sandbox);
        void sandbox.terminate();
      }
    }
  }
}
