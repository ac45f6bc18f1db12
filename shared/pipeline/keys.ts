/** S3 keys of a job's intermediate and final objects (docs/design.md, "S3 layout"). */

export const chunkKey = (jobId: string, n: number): string => `work/${jobId}/chunks/${n}.ndjson`;

export const resultKey = (jobId: string, n: number): string => `work/${jobId}/results/${n}.json`;

/** The rejection report's pages: `<prefix><page>.json` (a job finished before paging has `errors.json`). */
export const reportPrefix = (tenant: string, jobId: string): string => `reports/${tenant}/${jobId}/errors/`;

/** A group execution's events (docs/design.md "S3 layout"): `{groupId, jobs: [{jobId, tenant, events}]}`. */
export const groupKey = (groupId: string): string => `work/groups/${groupId}.json`;

/** Group executions are named `g-` + 40 hex characters; single-job executions are named by their jobId. */
export const isGroupExecutionName = (name: string): boolean => name.startsWith('g-');
