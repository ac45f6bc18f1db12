/**
 * A tenant's limits (README "Tenant limits"): the deployment's defaults (settings `tenantRequestsPerSecond`,
 * `tenantRunningJobs`) unless the table holds an override item for the tenant, pk `TENANT#<tenant>`, sk `LIMITS`,
 * with either number. Pure: the store in shared/aws/stores/tenant-limits.ts reads the item; each function reads
 * only the limit it enforces (the API the rate, the starter the running jobs).
 */

export interface TenantLimits {
  /** API requests per second (a fixed one-second window) before the API answers 429. */
  requestsPerSecond: number;
  /** Large jobs (one execution each: stored submissions and uploads) running at once; the rest wait QUEUED. */
  runningJobs: number;
}

export const LIMITS_SORT_KEY = 'LIMITS';

export const tenantLimitsKey = (tenant: string) => ({ pk: `TENANT#${tenant}`, sk: LIMITS_SORT_KEY });

export type LimitName = keyof TenantLimits;

/**
 * The limit that applies: the override attribute when it is a positive integer; anything else (absent, junk
 * written by hand) keeps the default, so a typo in an override never opens or closes a tenant.
 */
export function effectiveLimit(
  name: LimitName,
  defaultValue: number,
  item: Record<string, unknown> | undefined,
): number {
  const value = item?.[name];
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : defaultValue;
}
