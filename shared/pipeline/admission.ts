/**
 * Per-tenant admission of large jobs (README "Tenant limits", docs/design.md "Running-jobs cap"): a job that
 * runs in an execution of its own (stored API submission, upload) first waits in its tenant's ordered waiting
 * list, then is admitted oldest first while the tenant holds fewer than its cap of running slots.
 *
 * Admitting one waiting job is, in this order: claim a slot (idempotent: a job already holding one keeps it),
 * StartExecution named by the jobId (ExecutionAlreadyExists is success), delete the waiting item. A crash
 * between any two steps leaves the job waiting, and the next pass repeats the steps harmlessly. A slot is
 * released when the job's execution ends (record-execution-end), and a slot whose job is already finished is
 * released here too (a lost release, or a stale waiting item re-admitted after its job ended).
 *
 * Pure apart from the injected store and starter, so the protocol is tested with an in-memory store.
 */

export interface WaitingJob<Input = unknown> {
  jobId: string;
  /** The execution input, exactly as the job would have been started with. */
  input: Input;
}

export type Claim =
  /** The job holds a slot (newly, or it already held one). */
  | { held: true }
  /** The tenant's slots are all taken; `running` lists who holds them. */
  | { held: false; running: string[] };

export interface SlotStore<Input = unknown> {
  /**
   * The tenant's waiting jobs, oldest (lowest jobId) first, at most `limit`, only those after the jobId `after`
   * when given; strongly consistent.
   */
  waiting(tenant: string, limit: number, after?: string): Promise<WaitingJob<Input>[]>;
  /** Claims a slot for the job unless `cap` slots are held by others. */
  claim(tenant: string, jobId: string, cap: number): Promise<Claim>;
  /** Gives the job's slot back; idempotent. */
  release(tenant: string, jobId: string): Promise<void>;
  /** Deletes the job's waiting item; idempotent. */
  unpark(tenant: string, jobId: string): Promise<void>;
}

export interface AdmissionDeps<Input = unknown> {
  store: SlotStore<Input>;
  /**
   * StartExecution named jobId: 'existed' for ExecutionAlreadyExists, 'throttled' when still throttled; any
   * other error is thrown and fails this job's admission only (it stays waiting and keeps its claim).
   */
  start(job: WaitingJob<Input>): Promise<'started' | 'existed' | 'throttled'>;
  /** Whether the job is finished (SUCCEEDED or FAILED) or gone: its execution has ended, its slot is free. */
  finished(tenant: string, jobId: string): Promise<boolean>;
  /**
   * Whether this pass may look for leaked slots when the tenant is full (the caller rate-limits the check: it
   * reads each running job).
   */
  mayReconcile?(tenant: string): boolean;
}

export interface AdmissionResult {
  /** Job ids started (or found started) by this pass, in order. */
  admitted: string[];
  /** A StartExecution stayed throttled: the caller re-queues its trigger; the job stays waiting with its slot. */
  throttled: boolean;
  /** The pass stopped because every slot is held; the remaining jobs wait for a release. */
  full: boolean;
  /** Slots given back because their job had finished (leaked by a lost release). */
  reclaimed: string[];
  /** Jobs whose StartExecution failed otherwise than by throttling: still waiting, their claim kept. */
  failed: { jobId: string; error: unknown }[];
}

/**
 * Admits the tenant's oldest waiting jobs while it has free slots. Safe to run concurrently for one tenant
 * (claims are conditional and idempotent, starts are named) and to repeat after a crash at any point.
 */
export async function admitWaiting<Input>(
  tenant: string,
  cap: number,
  deps: AdmissionDeps<Input>,
): Promise<AdmissionResult> {
  const { store } = deps;
  const result: AdmissionResult = { admitted: [], throttled: false, full: false, reclaimed: [], failed: [] };
  let reconciled = false;
  let after: string | undefined;
  for (;;) {
    // Pages of `cap`: the pass usually stops at the first page (the slots run out); a failed job stays
    // waiting, so the next page starts after the last job looked at.
    const page = await store.waiting(tenant, Math.max(1, cap), after);
    if (page.length === 0) return result;
    for (const job of page) {
      after = job.jobId;
      let claim = await store.claim(tenant, job.jobId, cap);
      if (!claim.held && !reconciled && (deps.mayReconcile?.(tenant) ?? true)) {
        reconciled = true;
        const leaked = await reclaimFinished(tenant, claim.running, deps);
        result.reclaimed.push(...leaked);
        if (leaked.length > 0) claim = await store.claim(tenant, job.jobId, cap);
      }
      if (!claim.held) {
        result.full = true;
        return result;
      }
      let started: Awaited<ReturnType<typeof deps.start>>;
      try {
        started = await deps.start(job);
      } catch (error) {
        // Not this pass: the job keeps its place in the list and its claim (the start may have gone through
        // with its answer lost, so giving the slot back could run one job over the cap); the next job goes on.
        result.failed.push({ jobId: job.jobId, error });
        continue;
      }
      if (started === 'throttled') {
        result.throttled = true;
        return result;
      }
      if (started === 'existed' && (await deps.finished(tenant, job.jobId))) {
        // A stale waiting item (its job ran and ended, then a redelivery parked it again): the claim just made
        // holds no running execution, so give it back.
        await store.release(tenant, job.jobId);
        result.reclaimed.push(job.jobId);
      }
      await store.unpark(tenant, job.jobId);
      result.admitted.push(job.jobId);
    }
  }
}

/** Releases the slots of running jobs that are finished; returns their ids. */
async function reclaimFinished<Input>(
  tenant: string,
  running: string[],
  deps: AdmissionDeps<Input>,
): Promise<string[]> {
  const leaked: string[] = [];
  for (const jobId of running) {
    if (!(await deps.finished(tenant, jobId))) continue;
    await deps.store.release(tenant, jobId);
    leaked.push(jobId);
  }
  return leaked;
}

/**
 * Per-sandbox rate limit of the leak check: at most once per tenant per `intervalMs`. A leaked slot is thus
 * found within about a minute of the tenant's next large job or release.
 */
export function reconcileGate(intervalMs = 60_000, now: () => number = Date.now, maxTenants = 10_000) {
  const last = new Map<string, number>();
  return (tenant: string): boolean => {
    const at = last.get(tenant);
    if (at !== undefined && now() - at < intervalMs) return false;
    last.delete(tenant);
    if (last.size >= maxTenants) last.delete(last.keys().next().value!);
    last.set(tenant, now());
    return true;
  };
}
