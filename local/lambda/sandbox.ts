/**
 * One execution environment: a worker thread running the bootstrap with the function's own environment
 * (`process.env` is private to the worker), serving one invocation at a time. The worker gets none of the host's
 * Node options (e.g. the tsx loader `npm start` runs under): like Lambda's runtime, it runs the bundle as built.
 */
import { Worker } from 'node:worker_threads';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { LambdaInvokeError } from './errors';
import type { BootstrapData, InvokeMessage, ReadyMessage, ReplyMessage } from './bootstrap';

export interface SandboxOptions {
  bootstrap: string;
  bundle: string;
  env: Record<string, string>;
  memoryMb: number;
  /** Run the worker thread at a lower OS priority (bootstrap.ts). */
  background: boolean;
  log: (line: string) => void;
}

export class Sandbox {
  readonly ready: Promise<void>;
  lastUsed = Date.now();
  /** The worker's OS thread id, once initialized (Linux). */
  osThreadId?: number;
  private readonly worker: Worker;
  private nextId = 1;
  private current?: { id: number; resolve: (reply: ReplyMessage) => void; reject: (error: Error) => void };
  private exited = false;

  constructor(options: SandboxOptions) {
    this.worker = new Worker(options.bootstrap, {
      workerData: { bundle: options.bundle, background: options.background } satisfies BootstrapData,
      env: options.env,
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: options.memoryMb },
    });
    for (const stream of [this.worker.stdout, this.worker.stderr] as Readable[]) {
      createInterface({ input: stream }).on('line', options.log);
    }
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('message', (message: ReadyMessage) => {
        this.osThreadId = message.threadId;
        resolve();
      });
      this.worker.once('exit', (code) =>
        reject(new LambdaInvokeError('Runtime.ExitError', exitMessage(code))),
      );
    });
    this.ready.catch(() => undefined);
    this.worker.on('message', (message: ReplyMessage) => {
      if (this.current && 'id' in message && message.id === this.current.id) {
        const { resolve } = this.current;
        this.current = undefined;
        resolve(message);
      }
    });
    this.worker.on('error', (error) =>
      this.fail(new LambdaInvokeError(error.name, error.message, stack(error))),
    );
    this.worker.on('exit', (code) => {
      this.exited = true;
      this.fail(new LambdaInvokeError('Runtime.ExitError', exitMessage(code)));
    });
  }

  run(event: string, context: InvokeMessage['context']): Promise<ReplyMessage> {
    const id = this.nextId++;
    if (this.exited) return Promise.reject(new LambdaInvokeError('Runtime.ExitError', 'Runtime exited'));
    return new Promise((resolve, reject) => {
      this.current = { id, resolve, reject };
      this.worker.postMessage({ id, event, context } satisfies InvokeMessage);
    });
  }

  async terminate(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
  }

  private fail(error: LambdaInvokeError): void {
    const current = this.current;
    this.current = undefined;
    current?.reject(error);
  }
}

const exitMessage = (code: number) => `Runtime exited with error: exit status ${code}`;
const stack = (error: Error) => (error.stack ?? '').split('\n');
