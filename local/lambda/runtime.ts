/**
 * The local Lambda service: invokes functions by name or ARN in their own worker-thread sandboxes, with
 * per-function timeouts, on-demand scaling and fault injection.
 */
import { LambdaInvokeError } from './errors';
import { CpuHeadroom } from './cpu-headroom';
import { FaultInjector } from './faults';
import { FunctionPool, type FunctionDefinition } from './function-pool';
import type { Meter } from '../meter/meter';

export type { FunctionDefinition } from './function-pool';

export interface LambdaRuntimeOptions {
  functions: FunctionDefinition[];
  /** The bundled worker bootstrap (see bundle.ts). */
  bootstrap: string;
  /**
   * Sandboxes per function at most (like a function's reserved concurrency); further invocations queue.
   * Default: SLUICE_LAMBDA_CONCURRENCY, else 10 (AWS allows 1,000 per account; one machine has a few cores).
   */
  maxConcurrency?: number;
  /** Sandboxes of one function in their init phase at a time (default 1): the pace of scaling out. */
  maxStarting?: number;
  /** Scale out beyond one sandbox only while the CPU has some to spare (default: measured); false: always. */
  cpuHeadroom?: Pick<CpuHeadroom, 'hasSpare'> | false;
  /** Idle time after which extra warm sandboxes are shut down. */
  idleMs?: number;
  /** Delays before the retries of an asynchronous invocation (Lambda retries twice). */
  asyncRetryDelaysMs?: number[];
  log?: (line: string) => void;
  /** The cost meter (function-pool.ts counts into it). */
  meter?: Meter;
}

export const defaultMaxConcurrency = 10;

function concurrencyFromEnvironment(): number | undefined {
  const value = Number(process.env.SLUICE_LAMBDA_CONCURRENCY);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

export const functionArn = (region: string, accountId: string, functionName: string) =>
  `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;

export class LambdaRuntime<Name extends string = string> {
  readonly faults = new FaultInjector<Name>();
  private readonly pools = new Map<string, FunctionPool>();
  private readonly byFunctionName = new Map<string, FunctionPool>();
  private readonly log: (line: string) => void;
  private readonly retryDelaysMs: number[];
  private readonly pendingRetries = new Set<NodeJS.Timeout>();

  constructor(options: LambdaRuntimeOptions) {
    this.log = options.log ?? (() => undefined);
    this.retryDelaysMs = options.asyncRetryDelaysMs ?? [1_000, 2_000];
    const headroom = options.cpuHeadroom === false ? undefined : (options.cpuHeadroom ?? new CpuHeadroom());
    for (const definition of options.functions) {
      const pool = new FunctionPool(definition, {
        bootstrap: options.bootstrap,
        maxConcurrency: options.maxConcurrency ?? concurrencyFromEnvironment() ?? defaultMaxConcurrency,
        maxStarting: options.maxStarting ?? 1,
        idleMs: options.idleMs ?? 60_000,
        headroom,
        log: this.log,
        meter: options.meter,
      });
      this.pools.set(definition.name, pool);
      this.byFunctionName.set(definition.functionName, pool);
    }
  }

  /** Synchronous invocation (RequestResponse): resolves with the result, rejects with a LambdaInvokeError. */
  async invoke(name: Name, event: unknown): Promise<unknown> {
    const pool = this.pools.get(name);
    if (!pool) throw new LambdaInvokeError('ResourceNotFoundException', `Function not found: ${name}`);
    return this.run(pool, event);
  }

  /** Invokes by ARN (optionally qualified), function name or wiring name, as the Lambda API accepts. */
  async invokeArn(arnOrName: string, event: unknown): Promise<unknown> {
    const functionName = arnOrName.startsWith('arn:')
      ? (arnOrName.split(':')[6] ?? '')
      : arnOrName.split(':')[0]!;
    const pool = this.byFunctionName.get(functionName) ?? this.pools.get(functionName);
    if (!pool) throw new LambdaInvokeError('ResourceNotFoundException', `Function not found: ${arnOrName}`);
    return this.run(pool, event);
  }

  /** Asynchronous invocation (Event), as EventBridge uses: failures are retried, then logged. */
  invokeAsync(name: Name, event: unknown): void {
    const attempt = (n: number) => {
      this.invoke(name, event).catch((error: unknown) => {
        const delay = this.retryDelaysMs[n];
        if (delay === undefined) {
          this.log(`[${name}] asynchronous invocation failed after ${n + 1} attempts: ${String(error)}`);
          return;
        }
        const timer = setTimeout(() => {
          this.pendingRetries.delete(timer);
          attempt(n + 1);
        }, delay);
        this.pendingRetries.add(timer);
      });
    };
    attempt(0);
  }

  /** Sandboxes currently running for `name` (warm or busy). */
  sandboxCount(name: Name): number {
    return this.pools.get(name)?.size ?? 0;
  }

  /** The OS thread ids of each function's live sandboxes, by wiring name (Linux; local/cpu.ts). */
  threadIds(): Map<string, number[]> {
    return new Map([...this.pools].map(([name, pool]) => [name, pool.threadIds()]));
  }

  async stop(): Promise<void> {
    for (const timer of this.pendingRetries) clearTimeout(timer);
    this.pendingRetries.clear();
    await Promise.all([...this.pools.values()].map((pool) => pool.stop()));
  }

  private async run(pool: FunctionPool, event: unknown): Promise<unknown> {
    const injected = this.faults.take(pool.definition.name);
    if (injected) throw injected;
    return pool.invoke(event);
  }
}
