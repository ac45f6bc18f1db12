/** The Step Functions API shapes the console reads, as they arrive on the wire (dates in epoch seconds). */
export const executionStatuses = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
] as const;
export type ExecutionStatus = (typeof executionStatuses)[number];

export interface StateMachineItem {
  stateMachineArn: string;
  name: string;
  type: string;
  creationDate: number;
}

export interface StateMachineDescription extends StateMachineItem {
  definition: string;
  status?: string;
}

export interface ExecutionItem {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
}

export interface ExecutionDescription extends ExecutionItem {
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
  redriveCount?: number;
}

export interface HistoryEvent {
  id: number;
  previousEventId?: number;
  timestamp: number;
  type: string;
  /** `<camelCaseType>EventDetails` objects. */
  [details: string]: unknown;
}
