/**
 * Reads a tenant's limit overrides (shared/tenants/limits.ts) with a per-sandbox cache: one eventually
 * consistent GetItem per tenant per `cacheMs` (0.5 RRU), so the hot path pays for it about once a minute.
 * An override therefore takes effect within `cacheMs`.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../clients';
import { effectiveLimit, tenantLimitsKey, type LimitName } from '../../tenants/limits';

export interface TenantLimitStore {
  /** The tenant's value of the limit: its override, or the default. */
  get(tenant: string): Promise<number>;
}

export interface TenantLimitOptions {
  defaultValue: number;
  cacheMs?: number;
  /** Tenants kept in the cache; the oldest entry goes first. */
  maxTenants?: number;
  now?: () => number;
}

/** One limit of every tenant (`name`), as this function enforces it. */
export function tenantLimitStore(
  tableName: string,
  name: LimitName,
  { defaultValue, cacheMs = 60_000, maxTenants = 10_000, now = Date.now }: TenantLimitOptions,
  db = dynamoDb(),
): TenantLimitStore {
  const cache = new Map<string, { value: Promise<number>; at: number }>();
  const read = async (tenant: string): Promise<number> => {
    const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: tenantLimitsKey(tenant) }));
    return effectiveLimit(name, defaultValue, Item);
  };
  return {
    get(tenant) {
      const cached = cache.get(tenant);
      if (cached && now() - cached.at < cacheMs) return cached.value;
      cache.delete(tenant);
      if (cache.size >= maxTenants) cache.delete(cache.keys().next().value!);
      const value = read(tenant);
      cache.set(tenant, { value, at: now() });
      // A failed read is not cached: the next request tries again.
      value.catch(() => cache.delete(tenant));
      return value;
    },
  };
}
