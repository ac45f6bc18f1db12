/**
 * The API's per-tenant request rate (README "Tenant limits"): every authenticated route counts against one
 * budget per tenant, `tenantRequestsPerSecond` or the tenant's override item. Over it, 429 TooManyRequests with
 * `Retry-After` (whole seconds) and the IETF draft's structured fields (draft-ietf-httpapi-ratelimit-headers):
 * `RateLimit-Policy: "tenant";q=<limit>;w=1` on every counted response and `RateLimit: "tenant";r=0;t=<s>`.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger, metrics } from '../aws/observability';
import { rateCounterStore } from '../aws/stores/rate-counters';
import { tenantLimitStore } from '../aws/stores/tenant-limits';
import { errorBody } from '../http/errors';
import { json } from '../http/responses';
import { RateLimiter, WINDOW_MS, type RateDecision } from '../tenants/rate-limiter';

export const RATE_POLICY = 'tenant';

export const policyHeader = (limit: number) => `"${RATE_POLICY}";q=${limit};w=${WINDOW_MS / 1000}`;

/** The headers a counted response carries: the policy always; on a refusal, what is left and when. */
export function rateHeaders(decision: RateDecision): Record<string, string> {
  const headers: Record<string, string> = { 'ratelimit-policy': policyHeader(decision.limit) };
  if (!decision.allowed) {
    headers['ratelimit'] = `"${RATE_POLICY}";r=0;t=${decision.resetSeconds}`;
    headers['retry-after'] = String(decision.resetSeconds);
  }
  return headers;
}

export function tooManyRequests(decision: RateDecision) {
  return json(
    429,
    errorBody(
      'TooManyRequests',
      `This tenant is over its ${decision.limit} requests per second: retry after ${decision.resetSeconds} s`,
      [{ limit: decision.limit, retryAfterSeconds: decision.resetSeconds }],
    ),
    rateHeaders(decision),
  );
}

/**
 * The limiter of this sandbox, from the function's environment (TABLE_NAME, TENANT_REQUESTS_PER_SECOND), or
 * undefined for a function that serves no authenticated route (health, describe-api). test/cdk/settings.test.ts
 * checks that every function behind an authenticated route has both.
 */
export function rateLimiterFromEnv(env: NodeJS.ProcessEnv = process.env): RateLimiter | undefined {
  const tableName = env.TABLE_NAME;
  const perSecond = Number(env.TENANT_REQUESTS_PER_SECOND);
  if (!tableName || !Number.isInteger(perSecond) || perSecond <= 0) return undefined;
  const limits = tenantLimitStore(tableName, 'requestsPerSecond', { defaultValue: perSecond });
  const counters = rateCounterStore(tableName);
  let lastWarning = 0;
  return new RateLimiter({
    // A failed limits read keeps the default: it never opens or closes a tenant by itself.
    limitOf: (tenant) => limits.get(tenant).catch(() => perSecond),
    lease: (tenant, window, n) => counters.lease(tenant, window, n),
    onLeaseError: (error) => {
      metrics.addMetric('RateLimitCounterErrors', MetricUnit.Count, 1);
      if (Date.now() - lastWarning < 10_000) return;
      lastWarning = Date.now();
      logger.warn('rate counter write failed: serving this window from the local block', error as Error);
    },
  });
}
