/**
 * Reads a tenant's limit overrides (shared/tenants/limits.ts) with a per-sandbox cache: one eventually
 * consistent GetItem per tenant per `cacheMs` (0.5 RRU), so the hot path pays for it about once a minute.
 * An override therefore takes effect within `cacheMs`.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../clients';
import { effectiveLimits, tenantLimitsKey, type TenantLimits } from '../../tenants/limits';

export interface TenantLimitsStore {
  get(tenant: string): Promise<TenantLimits>;
}

export interface TenantLimitsOptions {
  defaults: TenantLimits;
  cacheMs?: number;
  /** Tenants kept in the cache; the oldest entry goes first. */
  maxTenants?: number;
  now?: () => number;
}

export function tenantLimitsStore(
  tableName: string,
  { defaults, cacheMs = 60_000, maxTenants = 10_000, now = Date.now }: TenantLimitsOptions,
  db = dynamoDb(),
): TenantLimitsStore {
  const cache = new Map<string, { limits: Promise<TenantLimits>; at: number }>();
  const read = async (tenant: string): Promise<TenantLimits> => {
    const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: tenantLimitsKey(tenant) }));
    return effectiveLimits(defaults, Item);
  };
  return {
    get(tenant) {
      const cached = cache.get(tenant);
      if (cached && now() - cached.at < cacheMs) return cached.limits;
      cache.delete(tenant);
      if (cache.size >= maxTenants) cache.delete(cache.keys().next().value!);
      const limits = read(tenant);
      cache.set(tenant, { limits, at: now() });
      // A failed read is not cached: the next request tries again.
      limits.catch(() => cache.delete(tenant));
      return limits;
    },
  };
}
