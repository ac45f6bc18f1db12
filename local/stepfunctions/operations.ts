/** The Step Functions API operations: request validation as AWS does it, and AWS-shaped responses. */
import * as z from 'zod';
import { invalidNameReason, parseExecutionArn, parseStateMachineArn } from './arns';
import { SfnError } from './errors';
import type { Execution } from './execution';
import type { Executions, StateMachineEntry } from './executions';
import type { HistoryEvent } from './history';
import { paginate } from './pagination';
import type { Operation } from './protocol';
import type { ExecutionRecord } from './store';

export interface ServiceState {
  /** By ARN. */
  stateMachines: ReadonlyMap<string, StateMachineEntry>;
  executions: Executions;
  /** Tests only: how many of the next StartExecution calls answer ThrottlingException, as AWS's rate limit does. */
  throttles?: { startExecution: number };
}

const arn = z.string().min(1).max(256);
const maxResults = z.number().int().min(0).max(1000).optional();
const nextToken = z.string().min(1).max(3096).optional();
const statuses = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'] as const;

const requests = {
  StartExecution: z.object({
    stateMachineArn: arn,
    name: z.string().optional(),
    input: z.string().max(262_144).optional(),
    traceHeader: z.string().max(256).optional(),
  }),
  DescribeExecution: z.object({ executionArn: arn }),
  DescribeStateMachineForExecution: z.object({ executionArn: arn }),
  ListExecutions: z.object({
    stateMachineArn: arn.optional(),
    mapRunArn: z.string().optional(),
    statusFilter: z.enum(statuses).optional(),
    maxResults,
    nextToken,
  }),
  GetExecutionHistory: z.object({
    executionArn: arn,
    maxResults,
    nextToken,
    reverseOrder: z.boolean().optional(),
    includeExecutionData: z.boolean().optional(),
  }),
  StopExecution: z.object({
    executionArn: arn,
    error: z.string().max(256).optional(),
    cause: z.string().max(32_768).optional(),
  }),
  DescribeStateMachine: z.object({ stateMachineArn: arn }),
  ListStateMachines: z.object({ maxResults, nextToken }),
};

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const details = issues.map(
    (issue) => `Value at '${issue.path.join('.')}' failed to satisfy constraint: ${issue.message}`,
  );
  throw new SfnError(
    'ValidationException',
    `${issues.length} validation error(s) detected: ${details.join('; ')}`,
  );
}

const seconds = (epochMs: number) => epochMs / 1000;
const when = <T extends object>(condition: boolean, fields: T): T | object => (condition ? fields : {});

const dataFields = new Set(['input', 'inputDetails', 'output', 'outputDetails', 'parameters']);

function apiEvent(event: HistoryEvent, includeExecutionData: boolean): object {
  const shaped: Record<string, unknown> = { ...event, timestamp: seconds(event.timestamp) };
  if (includeExecutionData) return shaped;
  for (const [key, value] of Object.entries(shaped)) {
    if (!key.endsWith('EventDetails') || typeof value !== 'object' || value === null) continue;
    shaped[key] = Object.fromEntries(Object.entries(value).filter(([field]) => !dataFields.has(field)));
  }
  return shaped;
}

function redriveStatus(record: ExecutionRecord) {
  const reason =
    record.status === 'RUNNING' || record.status === 'SUCCEEDED'
      ? `Execution is ${record.status} and cannot be redriven`
      : 'RedriveExecution is not supported by the local Step Functions service';
  return { redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: reason };
}

function describeExecution(record: ExecutionRecord): object {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: seconds(record.startDate),
    ...when(record.stopDate !== undefined, { stopDate: seconds(record.stopDate ?? 0) }),
    input: record.input,
    inputDetails: { included: true },
    ...when(record.output !== undefined, { output: record.output, outputDetails: { included: true } }),
    ...when(record.error !== undefined, { error: record.error }),
    ...when(record.cause !== undefined, { cause: record.cause }),
    ...when(record.traceHeader !== undefined, { traceHeader: record.traceHeader }),
    redriveCount: record.redriveCount,
    ...when(record.redriveDate !== undefined, { redriveDate: seconds(record.redriveDate ?? 0) }),
    ...redriveStatus(record),
  };
}

const listItem = (record: ExecutionRecord) => ({
  executionArn: record.executionArn,
  stateMachineArn: record.stateMachineArn,
  name: record.name,
  status: record.status,
  startDate: seconds(record.startDate),
  ...when(record.stopDate !== undefined, { stopDate: seconds(record.stopDate ?? 0) }),
  redriveCount: record.redriveCount,
  ...when(record.redriveDate !== undefined, { redriveDate: seconds(record.redriveDate ?? 0) }),
});

const configuration = {
  loggingConfiguration: { level: 'OFF', includeExecutionData: false },
  tracingConfiguration: { enabled: false },
};

type ExecutionKey = [number, string];
const isExecutionKey = (key: unknown): key is ExecutionKey =>
  Array.isArray(key) && key.length === 2 && typeof key[0] === 'number' && typeof key[1] === 'string';
/** Newest first; the name breaks ties so the order is total. */
const newestFirst = (a: ExecutionKey, b: ExecutionKey) =>
  b[0] - a[0] || (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0);
const isNumber = (key: unknown): key is number => typeof key === 'number';
const isString = (key: unknown): key is string => typeof key === 'string';

export function stepFunctionsOperations({
  stateMachines,
  executions,
  throttles,
}: ServiceState): Record<string, Operation> {
  function stateMachine(stateMachineArn: string): StateMachineEntry {
    if (!parseStateMachineArn(stateMachineArn))
      throw new SfnError('InvalidArn', `Invalid Arn: '${stateMachineArn}'`);
    const machine = stateMachines.get(stateMachineArn);
    if (!machine) {
      throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    }
    return machine;
  }

  function execution(executionArn: string): Execution {
    if (!parseExecutionArn(executionArn)) throw new SfnError('InvalidArn', `Invalid Arn: '${executionArn}'`);
    const found = executions.get(executionArn);
    if (!found) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return found;
  }

  return {
    async StartExecution(raw) {
      if (throttles && throttles.startExecution > 0) {
        throttles.startExecution -= 1;
        throw new SfnError('ThrottlingException', 'Rate exceeded');
      }
      const request = parse(requests.StartExecution, raw);
      const machine = stateMachine(request.stateMachineArn);
      const nameProblem = request.name === undefined ? undefined : invalidNameReason(request.name);
      if (nameProblem) throw new SfnError('InvalidName', `Invalid Name: '${request.name}' (${nameProblem})`);
      if (request.input !== undefined) {
        try {
          JSON.parse(request.input);
        } catch (error) {
          throw new SfnError(
            'InvalidExecutionInput',
            `Invalid State Machine Execution Input: '${(error as Error).message}'`,
          );
        }
      }
      const { record } = await executions.start(machine, request);
      return { executionArn: record.executionArn, startDate: seconds(record.startDate) };
    },

    async DescribeExecution(raw) {
      return describeExecution(execution(parse(requests.DescribeExecution, raw).executionArn).record);
    },

    async DescribeStateMachineForExecution(raw) {
      const { record } = execution(parse(requests.DescribeStateMachineForExecution, raw).executionArn);
      const machine = stateMachines.get(record.stateMachineArn);
      return {
        stateMachineArn: record.stateMachineArn,
        name: record.stateMachineName,
        definition: record.definition,
        roleArn: record.roleArn,
        updateDate: seconds(machine?.creationDate ?? record.startDate),
        ...configuration,
      };
    },

    async ListExecutions(raw) {
      const request = parse(requests.ListExecutions, raw);
      if (request.mapRunArn !== undefined) {
        throw new SfnError('ResourceNotFound', 'Map runs (distributed Map) are not supported locally');
      }
      if (request.stateMachineArn === undefined) {
        throw new SfnError('ValidationException', 'Must provide a StateMachine ARN or MapRun ARN');
      }
      const machine = stateMachine(request.stateMachineArn);
      const records = executions
        .ofStateMachine(machine.arn)
        .map((found) => found.record)
        .filter((record) => !request.statusFilter || record.status === request.statusFilter);
      const keyOf = (record: ExecutionRecord): ExecutionKey => [record.startDate, record.name];
      records.sort((a, b) => newestFirst(keyOf(a), keyOf(b)));
      const page = paginate(records, request, keyOf, newestFirst, isExecutionKey);
      return {
        executions: page.items.map(listItem),
        ...when(!!page.nextToken, { nextToken: page.nextToken }),
      };
    },

    async GetExecutionHistory(raw) {
      const request = parse(requests.GetExecutionHistory, raw);
      const { history } = execution(request.executionArn);
      const reverse = request.reverseOrder ?? false;
      const ordered = reverse ? [...history].reverse() : history;
      const byId = (a: number, b: number) => (reverse ? b - a : a - b);
      const page = paginate(ordered, request, (event) => event.id, byId, isNumber);
      const includeData = request.includeExecutionData ?? true;
      return {
        events: page.items.map((event) => apiEvent(event, includeData)),
        ...when(!!page.nextToken, { nextToken: page.nextToken }),
      };
    },

    async StopExecution(raw) {
      const request = parse(requests.StopExecution, raw);
      const found = execution(request.executionArn);
      await executions.stop(found, request.error, request.cause);
      return { stopDate: seconds(found.record.stopDate ?? Date.now()) };
    },

    async DescribeStateMachine(raw) {
      const machine = stateMachine(parse(requests.DescribeStateMachine, raw).stateMachineArn);
      return {
        stateMachineArn: machine.arn,
        name: machine.name,
        status: 'ACTIVE',
        definition: machine.compiled.source,
        roleArn: machine.roleArn,
        type: 'STANDARD',
        creationDate: seconds(machine.creationDate),
        ...configuration,
      };
    },

    async ListStateMachines(raw) {
      const request = parse(requests.ListStateMachines, raw);
      const sorted = [...stateMachines.values()].sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
      const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      const page = paginate(sorted, request, (machine) => machine.name, byName, isString);
      return {
        stateMachines: page.items.map((machine) => ({
          stateMachineArn: machine.arn,
          name: machine.name,
          type: 'STANDARD',
          creationDate: seconds(machine.creationDate),
        })),
        ...when(!!page.nextToken, { nextToken: page.nextToken }),
      };
    },
  };
}
