/** The EventBridge "Step Functions Execution Status Change" event AWS emits for every status change. */
import { randomUUID } from 'node:crypto';
import type { Scope } from './arns';
import type { ExecutionRecord } from './store';

export interface ExecutionStatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  account: string;
  /** ISO 8601, whole seconds, as EventBridge sends it. */
  time: string;
  region: string;
  resources: string[];
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: string;
    /** Epoch milliseconds. */
    startDate: number;
    stopDate: number | null;
    input: string;
    inputDetails: { included: boolean };
    output: string | null;
    outputDetails: { included: boolean } | null;
    error?: string | null;
    cause?: string | null;
    redriveCount: number;
    redriveDate: number | null;
    stateMachineVersionArn: null;
    stateMachineAliasArn: null;
  };
}

export function statusChangeEvent(scope: Scope, record: ExecutionRecord): ExecutionStatusChangeEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: scope.accountId,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: scope.region,
    resources: [record.executionArn],
    detail: {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate,
      stopDate: record.stopDate ?? null,
      input: record.input,
      inputDetails: { included: true },
      output: record.output ?? null,
      outputDetails: record.output === undefined ? null : { included: true },
      error: record.error ?? null,
      cause: record.cause ?? null,
      redriveCount: record.redriveCount,
      redriveDate: record.redriveDate ?? null,
      stateMachineVersionArn: null,
      stateMachineAliasArn: null,
    },
  };
}
