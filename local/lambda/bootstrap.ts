/**
 * The runtime inside one worker thread: the local counterpart of the Lambda Node.js runtime interface client.
 * It imports one function bundle (its init phase), then serves one invocation at a time from the parent:
 * `{id, event, context}` in, `{id, ok, result | error}` out. Events and results cross as JSON text, as they
 * do in Lambda. This file is bundled on its own by esbuild (it never imports project code).
 *
 * A background function's worker thread (queue consumer, workflow task: nobody waits on it over HTTP) lowers its
 * own OS priority. In AWS the API's functions and the pipeline's run on capacity of their own; on one machine
 * they share a few cores, and without this a backlog of pipeline work would show up as API latency. The
 * pipeline still gets every cycle the API leaves idle. Linux only (a thread's id is a `setpriority` target).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

export interface BootstrapData {
  bundle: string;
  background: boolean;
}

export interface InvokeMessage {
  id: number;
  event: string;
  context: {
    awsRequestId: string;
    deadlineMs: number;
    functionName: string;
    invokedFunctionArn: string;
    memoryLimitInMB: string;
  };
}

/** The first message: the init phase is over. `threadId` is the OS thread id (local/cpu.ts reads its CPU time). */
export interface ReadyMessage {
  ready: true;
  threadId?: number;
}

export type ReplyMessage =
  | { id: number; ok: true; result: string }
  | { id: number; ok: false; error: { errorType: string; errorMessage: string; trace: string[] } };

type Handler = (
  event: unknown,
  context: unknown,
  callback?: (error: unknown, result?: unknown) => void,
) => unknown;

const port = parentPort;
if (!port) throw new Error('bootstrap must run in a worker thread');

if (process.env.NODE_OPTIONS?.includes('--enable-source-maps')) process.setSourceMapsEnabled(true);

/** How much lower background functions' threads run than the host (nice values: 0 default, 19 lowest). */
const backgroundNiceOffset = 10;

/** This thread's id in the OS (Linux: "/proc/thread-self" links to "<pid>/task/<tid>"), if it can be known. */
function osThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return undefined; // not Linux
  }
}

function lowerThreadPriority(threadId: number | undefined): void {
  if (threadId === undefined) return;
  try {
    setPriority(threadId, Math.min(19, getPriority(threadId) + backgroundNiceOffset));
  } catch {
    // not permitted: the thread keeps the default priority
  }
}

const data = workerData as BootstrapData;
const threadId = osThreadId();
if (data.background) lowerThreadPriority(threadId);

function toError(error: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: 'Error', errorMessage: String(error), trace: [] };
}

function lambdaContext(message: InvokeMessage) {
  const { context } = message;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: context.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: context.invokedFunctionArn,
    memoryLimitInMB: context.memoryLimitInMB,
    awsRequestId: context.awsRequestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, context.deadlineMs - Date.now()),
  };
}

/** Supports async handlers and the (older) callback style, as the Node.js runtime does. */
function run(handler: Handler, event: unknown, context: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback = (error: unknown, result?: unknown) => (error ? reject(error) : resolve(result));
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof (returned as Promise<unknown>).then === 'function') {
        (returned as Promise<unknown>).then(resolve, reject);
      } else if (handler.length < 3) {
        resolve(returned);
      }
    } catch (error) {
      reject(error);
    }
  });
}

let handler: Handler | undefined;
let initError: ReturnType<typeof toError> | undefined;
try {
  const module = await import(pathToFileURL(data.bundle).href);
  if (typeof module.handler === 'function') handler = module.handler;
  else
    initError = {
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: 'index.handler is undefined or not exported',
      trace: [],
    };
} catch (error) {
  const { errorMessage, trace } = toError(error);
  initError = { errorType: 'Runtime.ImportModuleError', errorMessage, trace };
}

port.on('message', async (message: InvokeMessage) => {
  let reply: ReplyMessage;
  if (!handler) {
    reply = { id: message.id, ok: false, error: initError! };
  } else {
    try {
      const result = await run(handler, JSON.parse(message.event), lambdaContext(message));
      reply = { id: message.id, ok: true, result: JSON.stringify(result ?? null) };
    } catch (error) {
      reply = { id: message.id, ok: false, error: toError(error) };
    }
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true, threadId } satisfies ReadyMessage);
