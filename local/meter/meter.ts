/**
 * The local cloud's cost meter: counts what a deployment would be billed for, as the requests happen. Always on
 * and cheap (a few counter updates per request, nothing kept per request); read with `snapshot()`, zeroed with
 * `reset()`. Counts made inside child processes (dynalite, s3rver) stay there until a snapshot asks for them
 * over the child's IPC channel (`sources`).
 *
 * What is counted (units.ts has the rules; bench/cost.ts prices them):
 * - requests by service and operation, with billed units (SQS: 64 KB chunks; API Gateway: 512 KB increments);
 * - DynamoDB read/write request units from item sizes, per table and index, and write units per partition-key
 *   value (the hottest key's share);
 * - Lambda invocations at the deployed memory and billed duration (this machine's durations), init time, and
 *   the CloudWatch Logs bytes of their log lines plus Lambda's START/END/REPORT lines;
 * - Step Functions executions, state transitions (each state entered, each retry) and the log bytes of the
 *   history events the state machine's log level would deliver.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { billedDurationMs } from './units';

export interface OperationCount {
  requests: number;
  /** Billed request units (SQS: per 64 KB; API Gateway: per 512 KB; otherwise = requests). */
  units: number;
}

export interface KeySpaceWrites {
  /** Write units over all key values. */
  units: number;
  distinctKeys: number;
  /** The hottest partition-key values, most units first. */
  top: { key: string; units: number }[];
}

export interface DynamoDbCounts {
  /** Write request units by `table` or index name. */
  writeUnits: Record<string, number>;
  readUnits: Record<string, number>;
  /** Conditional writes whose condition failed (they consume write units too). */
  failedConditionalWrites: number;
  /** Write units per partition-key value, by `table` or index name. */
  writesByKey: Record<string, KeySpaceWrites>;
}

export interface LambdaCounts {
  memoryMb: number;
  invocations: number;
  billedMs: number;
  /** Init phases (cold starts) and their duration. */
  inits: number;
  initMs: number;
  /** The function's own log lines (stdout/stderr), as events and UTF-8 bytes (with the runtime's prefix). */
  logEvents: number;
  logBytes: number;
}

export interface StepFunctionsCounts {
  executionsStarted: number;
  /** Executions that reached SUCCEEDED, FAILED, TIMED_OUT or ABORTED. */
  executionsEnded: number;
  /** Each state entered, plus each retry of a task. */
  transitions: number;
  historyEvents: number;
  /** Log events and bytes at the state machine's configured log level. */
  logEvents: number;
  logBytes: number;
}

export interface MeterSnapshot {
  since: string;
  at: string;
  requests: Record<string, Record<string, OperationCount>>;
  dynamodb: DynamoDbCounts;
  lambda: Record<string, LambdaCounts>;
  stepFunctions: StepFunctionsCounts;
}

/** What a child process reports: its requests and, for dynalite, its capacity counts. */
export interface ChildCounts {
  requests: Record<string, Record<string, OperationCount>>;
  dynamodb?: Omit<DynamoDbCounts, 'writesByKey'> & {
    writesByKey: Record<string, { units: number; distinctKeys: number; top: [string, number][] }>;
  };
}

export interface MeterSource {
  read(reset: boolean): Promise<ChildCounts>;
}

/** How the deployed stack logs (read from cdk/ by logging-config.ts). */
export interface LoggingConfig {
  /** Lambda writes START/END/REPORT lines (text log format, or JSON with system log level INFO/DEBUG). */
  lambdaPlatformLines: boolean;
  /** Functions with active tracing (they start, and are billed for, sampled traces). */
  tracedFunctions: readonly string[];
  /** Step Functions log level: ALL, ERROR, FATAL or OFF. */
  stateMachineLogLevel: string;
  includeExecutionData: boolean;
  stateMachineTracing: boolean;
}

/** Lambda's platform lines, estimated: START ≈ 72 bytes, END ≈ 51, REPORT ≈ 150 (+ ≈ 90 for the XRAY part). */
export const platformLineBytes = { start: 72, end: 51, report: 150, reportXray: 90 };
/** The Node.js runtime's prefix on console lines in the text format: `<ISO time>\t<request id>\tINFO\t`. */
export const runtimeLinePrefixBytes = 67;
/** Step Functions log event envelope besides the history event itself (execution_arn, redrive_count, ...). */
export const stateMachineLogEnvelopeBytes = 60;

const emptyLambda = (memoryMb: number): LambdaCounts => ({
  memoryMb,
  invocations: 0,
  billedMs: 0,
  inits: 0,
  initMs: 0,
  logEvents: 0,
  logBytes: 0,
});

const errorEvent = /(Failed|TimedOut|Aborted)$/;
const fatalEvent = /^Execution(Failed|TimedOut|Aborted)$/;

export class Meter {
  readonly sources: MeterSource[] = [];
  private since = new Date();
  private requests = new Map<string, Map<string, OperationCount>>();
  private lambda = new Map<string, LambdaCounts>();
  private sfn = {
    executionsStarted: 0,
    executionsEnded: 0,
    entered: 0,
    taskEntered: 0,
    scheduled: 0,
    events: 0,
    logEvents: 0,
    logBytes: 0,
  };

  constructor(readonly logging: LoggingConfig) {}

  count(service: string, operation: string, units = 1): void {
    let byOperation = this.requests.get(service);
    if (!byOperation) this.requests.set(service, (byOperation = new Map()));
    const counted = byOperation.get(operation);
    if (counted) {
      counted.requests++;
      counted.units += units;
    } else byOperation.set(operation, { requests: 1, units });
  }

  /** Counts every request a server answers, by the operation `classify` names (undefined: not counted). */
  attach(
    server: Server,
    service: string,
    classify: (req: IncomingMessage, res: ServerResponse) => string | undefined,
  ): void {
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      const operation = classify(req, res);
      if (operation !== undefined) this.count(service, operation);
    });
  }

  private fn(name: string, memoryMb: number): LambdaCounts {
    let counts = this.lambda.get(name);
    if (!counts) this.lambda.set(name, (counts = emptyLambda(memoryMb)));
    return counts;
  }

  lambdaInvoked(name: string, memoryMb: number, durationMs: number): void {
    const counts = this.fn(name, memoryMb);
    counts.invocations++;
    counts.billedMs += billedDurationMs(durationMs);
    if (this.logging.lambdaPlatformLines) {
      counts.logEvents += 3;
      counts.logBytes +=
        platformLineBytes.start +
        platformLineBytes.end +
        platformLineBytes.report +
        (this.logging.tracedFunctions.includes(name) ? platformLineBytes.reportXray : 0);
    }
  }

  lambdaInitialized(name: string, memoryMb: number, durationMs: number): void {
    const counts = this.fn(name, memoryMb);
    counts.inits++;
    counts.initMs += billedDurationMs(durationMs);
  }

  lambdaLogLine(name: string, memoryMb: number, line: string): void {
    const counts = this.fn(name, memoryMb);
    counts.logEvents++;
    // Powertools writes JSON lines straight to stdout; console.* lines get the runtime's prefix.
    counts.logBytes += Buffer.byteLength(line) + (line.startsWith('{') ? 0 : runtimeLinePrefixBytes);
  }

  /** One history event of an execution (as the local engine records it). */
  stateMachineEvent(event: { type: string; [details: string]: unknown }, executionArn: string): void {
    const { type } = event;
    const sfn = this.sfn;
    sfn.events++;
    if (type === 'ExecutionStarted') sfn.executionsStarted++;
    else if (fatalEvent.test(type) || type === 'ExecutionSucceeded') sfn.executionsEnded++;
    else if (type.endsWith('StateEntered')) {
      sfn.entered++;
      if (type === 'TaskStateEntered') sfn.taskEntered++;
    } else if (type === 'LambdaFunctionScheduled' || type === 'TaskScheduled') sfn.scheduled++;
    const level = this.logging.stateMachineLogLevel;
    const logged =
      level === 'ALL' ||
      (level === 'ERROR' && errorEvent.test(type)) ||
      (level === 'FATAL' && fatalEvent.test(type));
    if (!logged) return;
    sfn.logEvents++;
    sfn.logBytes +=
      stateMachineLogEnvelopeBytes +
      executionArn.length +
      Buffer.byteLength(JSON.stringify(this.logging.includeExecutionData ? event : withoutData(event)));
  }

  async snapshot(): Promise<MeterSnapshot> {
    return this.read(false);
  }

  async reset(): Promise<void> {
    await this.read(true);
  }

  private async read(reset: boolean): Promise<MeterSnapshot> {
    const children = await Promise.all(this.sources.map((source) => source.read(reset)));
    const requests: MeterSnapshot['requests'] = {};
    for (const [service, byOperation] of this.requests)
      requests[service] = Object.fromEntries([...byOperation].map(([op, c]) => [op, { ...c }]));
    const dynamodb: DynamoDbCounts = {
      writeUnits: {},
      readUnits: {},
      failedConditionalWrites: 0,
      writesByKey: {},
    };
    for (const child of children) {
      for (const [service, byOperation] of Object.entries(child.requests)) {
        const target = (requests[service] ??= {});
        for (const [op, c] of Object.entries(byOperation)) {
          const existing = target[op];
          target[op] = existing
            ? { requests: existing.requests + c.requests, units: existing.units + c.units }
            : { ...c };
        }
      }
      if (child.dynamodb) {
        const d = child.dynamodb;
        for (const [name, units] of Object.entries(d.writeUnits))
          dynamodb.writeUnits[name] = (dynamodb.writeUnits[name] ?? 0) + units;
        for (const [name, units] of Object.entries(d.readUnits))
          dynamodb.readUnits[name] = (dynamodb.readUnits[name] ?? 0) + units;
        dynamodb.failedConditionalWrites += d.failedConditionalWrites;
        for (const [name, space] of Object.entries(d.writesByKey))
          dynamodb.writesByKey[name] = {
            units: space.units,
            distinctKeys: space.distinctKeys,
            top: space.top.map(([key, units]) => ({ key, units })),
          };
      }
    }
    const { sfn } = this;
    const snapshot: MeterSnapshot = {
      since: this.since.toISOString(),
      at: new Date().toISOString(),
      requests,
      dynamodb,
      lambda: Object.fromEntries([...this.lambda].map(([name, c]) => [name, { ...c }])),
      stepFunctions: {
        executionsStarted: sfn.executionsStarted,
        executionsEnded: sfn.executionsEnded,
        transitions: sfn.entered + Math.max(0, sfn.scheduled - sfn.taskEntered),
        historyEvents: sfn.events,
        logEvents: sfn.logEvents,
        logBytes: sfn.logBytes,
      },
    };
    if (reset) {
      this.since = new Date();
      this.requests.clear();
      this.lambda.clear();
      for (const key of Object.keys(sfn) as (keyof typeof sfn)[]) sfn[key] = 0;
    }
    return snapshot;
  }
}

/** A history event as logged without execution data: its inputs, outputs, parameters and results dropped. */
function withoutData(event: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (value && typeof value === 'object' && key.endsWith('Details')) {
      const details: Record<string, unknown> = {};
      for (const [name, inner] of Object.entries(value as Record<string, unknown>))
        if (!/^(input|output|parameters|result|payload)$/i.test(name)) details[name] = inner;
      copy[key] = details;
    } else copy[key] = value;
  }
  return copy;
}
