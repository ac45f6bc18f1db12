/** Hash routes: `#/`, `#/state-machines/<arn>`, `#/executions/<url-encoded executionArn>`, `?status=` filters. */
import { executionStatuses, type ExecutionStatus } from './types';

export type Route =
  | { page: 'home'; status?: ExecutionStatus }
  | { page: 'stateMachine'; stateMachineArn: string; status?: ExecutionStatus }
  | { page: 'execution'; executionArn: string }
  | { page: 'notFound'; path: string };

const isStatus = (value: string | null): value is ExecutionStatus =>
  (executionStatuses as readonly (string | null)[]).includes(value);

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?', 2);
  const statusParam = new URLSearchParams(query).get('status');
  const status = isStatus(statusParam) ? { status: statusParam } : {};
  if (path === '' || path === '/') return { page: 'home', ...status };
  const match = /^\/(state-machines|executions)\/(.+)$/.exec(path);
  const arn = match ? decode(match[2]!) : undefined;
  if (match?.[1] === 'state-machines' && arn)
    return { page: 'stateMachine', stateMachineArn: arn, ...status };
  if (match?.[1] === 'executions' && arn) return { page: 'execution', executionArn: arn };
  return { page: 'notFound', path };
}

export const homeHref = (status?: ExecutionStatus) => `#/${status ? `?status=${status}` : ''}`;
export const stateMachineHref = (arn: string, status?: ExecutionStatus) =>
  `#/state-machines/${encodeURIComponent(arn)}${status ? `?status=${status}` : ''}`;
export const executionHref = (arn: string) => `#/executions/${encodeURIComponent(arn)}`;
/** The web app's page of the job an execution runs (the execution name is the job id). */
export const jobHref = (cdnUrl: string, jobId: string) =>
  `${cdnUrl.replace(/\/$/, '')}/#/jobs/${encodeURIComponent(jobId)}`;

/**
 * The jobs an execution carries: a group execution (name `g-…`, input {group, jobs: [{jobId, tenant}]}) lists
 * them in its input; any other execution runs the one job its name is.
 */
export function carriedJobs(execution: { name: string; input?: string }): {
  group: boolean;
  jobIds: string[];
} {
  let parsed: unknown;
  try {
    parsed = JSON.parse(execution.input ?? '');
  } catch {
    parsed = undefined;
  }
  const input =
    typeof parsed === 'object' && parsed !== null ? (parsed as { group?: unknown; jobs?: unknown }) : {};
  if (input.group === undefined && !execution.name.startsWith('g-'))
    return { group: false, jobIds: [execution.name] };
  const jobIds = Array.isArray(input.jobs)
    ? input.jobs
        .map((job) => (job as { jobId?: unknown } | null)?.jobId)
        .filter((jobId): jobId is string => typeof jobId === 'string')
    : [];
  return { group: true, jobIds };
}
