/**
 * A Step Functions API client for the browser: AWS JSON 1.0 requests (`X-Amz-Target: AWSStepFunctions.<Op>`)
 * sent to the console server's `/sfn` proxy, which forwards them unchanged to the local Step Functions.
 */
import type {
  ExecutionDescription,
  ExecutionItem,
  ExecutionStatus,
  HistoryEvent,
  StateMachineDescription,
  StateMachineItem,
} from './types';

export class SfnApiError extends Error {
  override readonly name = 'SfnApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

type Fetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
) => Promise<{
  status: number;
  ok: boolean;
  text(): Promise<string>;
}>;

/** GetExecutionHistory pages are read until this many events (AWS caps a history at 25,000). */
const historyPageSize = 1000;

export class SfnClient {
  constructor(
    private readonly endpoint: string,
    private readonly fetchImpl: Fetch = (url, init) => fetch(url, init),
  ) {}

  async call<T>(operation: string, input: object): Promise<T> {
    const response = await this.fetchImpl(this.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `AWSStepFunctions.${operation}`,
      },
      body: JSON.stringify(input),
    });
    const text = await response.text();
    let body: Record<string, unknown>;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      throw new SfnApiError('InvalidResponse', `${operation}: the response is not JSON`, response.status);
    }
    if (!response.ok) {
      const code =
        String(body.__type ?? 'UnknownError')
          .split('#')
          .pop() ?? 'UnknownError';
      const message = String(body.message ?? body.Message ?? `${operation} failed (HTTP ${response.status})`);
      throw new SfnApiError(code, message, response.status);
    }
    return body as T;
  }

  async listStateMachines(): Promise<StateMachineItem[]> {
    const machines: StateMachineItem[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call<{ stateMachines: StateMachineItem[]; nextToken?: string }>(
        'ListStateMachines',
        { maxResults: 1000, ...(nextToken ? { nextToken } : {}) },
      );
      machines.push(...page.stateMachines);
      nextToken = page.nextToken;
    } while (nextToken);
    return machines;
  }

  /** The newest `maxResults` executions (newest first); `more` says older ones exist. */
  async listExecutions(
    stateMachineArn: string,
    statusFilter?: ExecutionStatus,
    maxResults = 100,
  ): Promise<{ executions: ExecutionItem[]; more: boolean }> {
    const page = await this.call<{ executions: ExecutionItem[]; nextToken?: string }>('ListExecutions', {
      stateMachineArn,
      maxResults,
      ...(statusFilter ? { statusFilter } : {}),
    });
    return { executions: page.executions, more: !!page.nextToken };
  }

  describeStateMachine(stateMachineArn: string): Promise<StateMachineDescription> {
    return this.call('DescribeStateMachine', { stateMachineArn });
  }

  describeStateMachineForExecution(executionArn: string): Promise<StateMachineDescription> {
    return this.call('DescribeStateMachineForExecution', { executionArn });
  }

  describeExecution(executionArn: string): Promise<ExecutionDescription> {
    return this.call('DescribeExecution', { executionArn });
  }

  /** The whole history, oldest first. */
  async getExecutionHistory(executionArn: string): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call<{ events: HistoryEvent[]; nextToken?: string }>('GetExecutionHistory', {
        executionArn,
        maxResults: historyPageSize,
        includeExecutionData: true,
        ...(nextToken ? { nextToken } : {}),
      });
      events.push(...page.events);
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  }

  stopExecution(executionArn: string): Promise<{ stopDate: number }> {
    return this.call('StopExecution', {
      executionArn,
      error: 'Console.Stopped',
      cause: 'Stopped from the local executions console',
    });
  }
}
