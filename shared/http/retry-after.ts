/**
 * How Sluice's own clients (the CLI and the web app) honour 429 Too Many Requests (README "Tenant limits"): every
 * Sluice route refuses a request over the tenant's rate before doing anything, so each one (POST /events
 * included) is safe to send again. Wait `Retry-After` seconds (capped per wait), tell the user, and give up after
 * `maxRetries` or once the waits would pass `maxWaitSeconds` in total, handing back the last 429.
 * Pure fetch-API code: runs in Node and in the browser.
 */
export interface RetryAfterPolicy {
  maxRetries: number;
  /** Longest single wait, whatever Retry-After says. */
  maxDelaySeconds: number;
  /** Most seconds spent waiting for one request. */
  maxWaitSeconds: number;
  /** Told before each wait. */
  onRetry?: (seconds: number, attempt: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** Retry-After as delay-seconds (what Sluice sends) or an HTTP-date; 1 s when absent or unreadable. */
export function retryAfterSeconds(value: string | null, now = Date.now()): number {
  if (value && /^\d+$/.test(value.trim())) return Math.max(1, Number(value.trim()));
  const date = value ? Date.parse(value) : NaN;
  return Number.isFinite(date) ? Math.max(1, Math.ceil((date - now) / 1000)) : 1;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sends, and sends again after each 429 within the policy; the last response is returned whatever it is. */
export async function sendHonouringRetryAfter(
  send: () => Promise<Response>,
  policy: RetryAfterPolicy,
): Promise<Response> {
  let response = await send();
  let waited = 0;
  for (let attempt = 1; response.status === 429 && attempt <= policy.maxRetries; attempt += 1) {
    const seconds = Math.min(retryAfterSeconds(response.headers.get('retry-after')), policy.maxDelaySeconds);
    if (waited + seconds > policy.maxWaitSeconds) break;
    await response.body?.cancel();
    policy.onRetry?.(seconds, attempt);
    await (policy.sleep ?? wait)(seconds * 1000);
    waited += seconds;
    response = await send();
  }
  return response;
}
