/**
 * A tenant's request rate across Lambda sandboxes that share nothing but the table (README "Tenant limits").
 * Pure: the counter write and the limit lookup are injected (shared/aws/stores/rate-counters.ts gives them).
 *
 * Fixed one-second windows (epoch seconds). In each window a sandbox serves, per tenant:
 * - up to `free = floor(limit / 100)` requests with no write at all (so a quiet tenant costs nothing), unless
 *   the tenant was refused in the previous window (then it goes straight to the table);
 * - beyond that, tokens leased from the window's counter item: one UpdateItem `ADD taken :n` (unconditional,
 *   it returns the new total) takes a block of `n` tokens, sized to the sandbox's own demand in the previous
 *   window (so a busy sandbox makes about one write per second whatever its rate), and carrying the free
 *   requests it already served so that the table counts them (ramping up within a second, the block doubles
 *   what the sandbox served so far in it). The grant is `clamp(limit - (total - block),
 *   0, block)`: across every sandbox, leases never grant more than `limit` per window.
 * Once a lease comes back short the window is exhausted for this sandbox: the rest of it is refused locally,
 * with no further write.
 *
 * Bound: in one window a tenant is served at most `limit + S × free` requests, S = the sandboxes that served it
 * that second without leasing (each at most `free`), i.e. at most 1% of the limit per such sandbox. It can be
 * refused while leased tokens sit unused in other sandboxes: at most one block (about one second of that
 * sandbox's own rate) per sandbox.
 *
 * Failure: a lease that fails (throttled or unreachable table) grants the block it asked for and ends the
 * sandbox's window (fail open, bounded: at most `free` + one block, i.e. its own previous second's demand and
 * never more than `limit`, per sandbox and second): an infrastructure error never turns into a 500 storm, nor
 * into a door left open (one sandbox alone never passes the limit).
 */

export interface RateDecision {
  allowed: boolean;
  /** The tenant's limit (requests per window). */
  limit: number;
  /** Whole seconds until the current window ends (≥ 1): Retry-After and the RateLimit `t` parameter. */
  resetSeconds: number;
}

export interface RateLimiterOptions {
  /** The tenant's requests per second (its override, or the default). */
  limitOf(tenant: string): Promise<number>;
  /**
   * Adds `n` to the tenant's counter of window `window` (epoch seconds) and returns the new total, or throws.
   */
  lease(tenant: string, window: number, n: number): Promise<number>;
  now?: () => number;
  /** Called when a lease failed and the sandbox granted itself the block (log, count). */
  onLeaseError?: (error: unknown, tenant: string) => void;
  /** Tenants tracked per sandbox; the least recently seen goes first. */
  maxTenants?: number;
}

export const WINDOW_MS = 1000;

/** Requests a sandbox serves per window without a write: 1% of the limit. */
export const freeAllowance = (limit: number) => Math.floor(limit / 100);

interface TenantWindow {
  window: number;
  /** Requests seen this window (served or refused): the next window's block size. */
  demand: number;
  /** Requests served this window. */
  used: number;
  /** Tokens this window's leases granted. */
  leased: number;
  /** Free requests served this window that no lease has reported yet. */
  unreported: number;
  /** A lease came back short: the window has nothing more to give this sandbox. */
  final: boolean;
  /** The previous window's demand, when it was the window just before. */
  previousDemand: number;
  /** The previous window (just before) refused a request: this one leases before serving any. */
  previousRefused: boolean;
  pending?: Promise<void>;
}

export class RateLimiter {
  private readonly tenants = new Map<string, TenantWindow>();
  private readonly now: () => number;
  private readonly maxTenants: number;

  constructor(private readonly options: RateLimiterOptions) {
    this.now = options.now ?? (() => Date.now());
    this.maxTenants = options.maxTenants ?? 10_000;
  }

  async check(tenant: string): Promise<RateDecision> {
    const limit = await this.options.limitOf(tenant);
    for (;;) {
      const now = this.now();
      const state = this.stateOf(tenant, Math.floor(now / WINDOW_MS));
      // One lease in flight per tenant: the others wait for it and look again.
      if (state.pending) {
        await state.pending;
        continue;
      }
      const free = state.previousRefused ? 0 : freeAllowance(limit);
      const available = state.used < free + state.leased;
      if (available || state.final) {
        state.demand += 1;
        if (available) {
          state.used += 1;
          if (state.leased === 0) state.unreported += 1;
        }
        return {
          allowed: available,
          limit,
          resetSeconds: Math.max(1, Math.ceil(((state.window + 1) * WINDOW_MS - now) / 1000)),
        };
      }
      // The rest of the previous second's demand, or (ramping up) as much again as served so far this second.
      const block = Math.min(limit, Math.max(state.previousDemand - state.used, state.used, free, 1));
      state.pending = this.takeLease(tenant, state, limit, block).finally(() => {
        state.pending = undefined;
      });
    }
  }

  private async takeLease(tenant: string, state: TenantWindow, limit: number, block: number) {
    let granted: number;
    try {
      const total = await this.options.lease(tenant, state.window, block + state.unreported);
      granted = Math.max(0, Math.min(block, limit - (total - block)));
    } catch (error) {
      // Fail open for this one block (its own previous second's demand, at most the limit), then refuse until
      // the next window: one sandbox never passes the limit, and no error becomes a 500 or a retry storm.
      this.options.onLeaseError?.(error, tenant);
      state.unreported = 0;
      state.leased += block;
      state.final = true;
      return;
    }
    state.unreported = 0;
    state.leased += granted;
    if (granted < block) state.final = true;
  }

  private stateOf(tenant: string, window: number): TenantWindow {
    const state = this.tenants.get(tenant);
    if (state && state.window === window) return state;
    const previous = state && state.window === window - 1 ? state : undefined;
    const fresh: TenantWindow = {
      window,
      demand: 0,
      used: 0,
      leased: 0,
      unreported: 0,
      final: false,
      previousDemand: previous?.demand ?? 0,
      previousRefused: previous !== undefined && previous.demand > previous.used,
    };
    // A lease for an earlier window may still be in flight: it completes on that window's state, unused.
    this.tenants.delete(tenant);
    if (this.tenants.size >= this.maxTenants) this.tenants.delete(this.tenants.keys().next().value!);
    this.tenants.set(tenant, fresh);
    return fresh;
  }
}
