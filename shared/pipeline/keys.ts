/** S3 keys of a job's intermediate and final objects (docs/design.md, "S3 layout"). */

export const chunkKey = (jobId: string, n: number): string => `work/${jobId}/chunks/${n}.ndjson`;

export const resultKey = (jobId: string, n: number): string => `work/${jobId}/results/${n}.json`;

/** The rejection report's pages: `<prefix><page>.json` (a job finished before paging has `errors.json`). */
export const reportPrefix = (tenant: string, jobId: string): string => `reports/${tenant}/${jobId}/errors/`;
