/**
 * A tenant's limits (README "Tenant limits"): the deployment's defaults (settings `tenantRequestsPerSecond`,
 * `tenantRunningJobs`) unless the table holds an override item for the tenant, pk `TENANT#<tenant>`, sk `LIMITS`,
 * with either number. Pure: the store in shared/aws/stores/tenant-limits.ts reads the item.
 */

export interface TenantLimits {
  /** API requests per second (a fixed one-second window) before the API answers 429. */
  requestsPerSecond: number;
  /** Large jobs (one execution each: stored submissions and uploads) running at once; the rest wait QUEUED. */
  runningJobs: number;
}

export const LIMITS_SORT_KEY = 'LIMITS';

export const tenantLimitsKey = (tenant: string) => ({ pk: `TENANT#${tenant}`, sk: LIMITS_SORT_KEY });

const limitNames = ['requestsPerSecond', 'runningJobs'] as const satisfies readonly (keyof TenantLimits)[];

/**
 * The limits that apply: each override attribute that is a positive integer replaces its default; anything
 * else (absent, junk written by hand) keeps the default, so a typo in an override never opens or closes a tenant.
 */
export function effectiveLimits(
  defaults: TenantLimits,
  item: Record<string, unknown> | undefined,
): TenantLimits {
  const limits = { ...defaults };
  for (const name of limitNames) {
    const value = item?.[name];
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) limits[name] = value;
  }
  return limits;
}
