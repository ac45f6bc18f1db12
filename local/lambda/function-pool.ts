/**
 * The execution environments of one function: warm sandboxes are reused, new ones start on demand up to
 * `maxConcurrency` (further invocations wait their turn), idle extras are shut down after a while. A sandbox
 * that times out is terminated, as Lambda does, and the invocation fails with `Sandbox.Timedout`.
 */
import { randomUUID } from 'node:crypto';
import { LambdaInvokeError } from './errors';
import { Sandbox } from './sandbox';

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
}

export interface PoolOptions {
  bootstrap: string;
  maxConcurrency: number;
  idleMs: number;
  log: (line: string) => void;
}

const timeoutError = (seconds: number) =>
  new LambdaInvokeError('Sandbox.Timedout', `Task timed out after ${seconds.toFixed(2)} seconds`);

export class FunctionPool {
  private readonly idle: Sandbox[] = [];
  private readonly sandboxes = new Set<Sandbox>();
  private readonly waiting: ((sandbox: Sandbox | undefined) => void)[] = [];
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

  async invoke(event: unknown): Promise<unknown> {
    const { definition } = this;
    if (!definition.bundle) {
      throw new LambdaInvokeError('Runtime.ImportModuleError', definition.buildError ?? 'no bundle');
    }
    const sandbox = await this.acquire();
    let timer: NodeJS.Timeout | undefined;
    let released = false;
    try {
      await sandbox.ready; // the init phase does not count against the timeout
      const timeoutMs = definition.timeoutSeconds * 1000;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeoutError(definition.timeoutSeconds)), timeoutMs);
      });
      const run = sandbox.run(JSON.stringify(event ?? null), {
        awsRequestId: randomUUID(),
        deadlineMs: Date.now() + timeoutMs,
        functionName: definition.functionName,
        invokedFunctionArn: definition.arn,
        memoryLimitInMB: String(definition.memoryMb),
      });
      const reply = await Promise.race([run, timedOut]);
      this.release(sandbox);
      released = true;
      if (!reply.ok)
        throw new LambdaInvokeError(reply.error.errorType, reply.error.errorMessage, reply.error.trace);
      return JSON.parse(reply.result);
    } catch (error) {
      // Timed out, crashed or failed to start: that environment is gone.
      if (!released) this.discard(sandbox);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.reaper);
    for (const resolve of this.waiting.splice(0)) resolve(undefined);
    await Promise.all([...this.sandboxes].map((sandbox) => sandbox.terminate()));
    this.sandboxes.clear();
    this.idle.length = 0;
  }

  private async acquire(): Promise<Sandbox> {
    if (this.stopped)
      throw new LambdaInvokeError('Lambda.ServiceException', 'The local Lambda runtime is stopped');
    const warm = this.idle.pop();
    if (warm) return warm;
    if (this.sandboxes.size < this.options.maxConcurrency) return this.start();
    const handedOver = await new Promise<Sandbox | undefined>((resolve) => this.waiting.push(resolve));
    if (!handedOver)
      throw new LambdaInvokeError('Lambda.ServiceException', 'The local Lambda runtime is stopped');
    return handedOver;
  }

  private start(): Sandbox {
    const { definition, options } = this;
    const sandbox = new Sandbox({
      bootstrap: options.bootstrap,
      bundle: definition.bundle!,
      env: definition.env,
      memoryMb: definition.memoryMb,
      log: (line) => options.log(`[${definition.name}] ${line}`),
    });
    this.sandboxes.add(sandbox);
    return sandbox;
  }

  private release(sandbox: Sandbox): void {
    sandbox.lastUsed = Date.now();
    const next = this.waiting.shift();
    if (next) next(sandbox);
    else this.idle.push(sandbox);
  }

  /** A dead or timed-out sandbox is replaced for whoever waits. */
  private discard(sandbox: Sandbox): void {
    this.sandboxes.delete(sandbox);
    const index = this.idle.indexOf(sandbox);
    if (index >= 0) this.idle.splice(index, 1);
    void sandbox.terminate();
    const next = this.waiting.shift();
    if (next) next(this.start());
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
