/**
 * Where the local cloud's CPU goes, for the benchmarks: the CPU time (user + system, ms) each part has used so
 * far, read from /proc (Linux; elsewhere an empty record). The parts: the host's main thread (API gateway, JWT
 * check, SQS, Step Functions and CDN emulators, the poller), each function's live sandboxes (worker threads), the
 * host's other threads (V8's GC and compiler helpers, libuv's pool, and sandboxes that have ended: the process
 * total less the threads above), and the emulators in child processes.
 */
import { readFileSync } from 'node:fs';

/** utime + stime of one /proc stat file, in ms (the kernel's clock ticks are 10 ms on Linux). */
function cpuMsOf(statFile: string): number | undefined {
  try {
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields overall.
    const fields = readFileSync(statFile, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined; // not Linux, or the thread or process has ended
  }
}

export interface CpuParts {
  /** The host process's sandbox threads by function (wiring name). */
  sandboxThreads: Map<string, number[]>;
  /** Emulator child processes by label. */
  children: Record<string, number>;
}

export function cpuByPart(parts: CpuParts): Record<string, number> {
  const self = `/proc/${process.pid}`;
  const total = cpuMsOf(`${self}/stat`);
  if (total === undefined) return {};
  const usage: Record<string, number> = {};
  const main = cpuMsOf(`${self}/task/${process.pid}/stat`) ?? 0;
  usage['host main thread'] = main;
  let known = main;
  for (const [name, threadIds] of parts.sandboxThreads) {
    const ms = threadIds.reduce((sum, tid) => sum + (cpuMsOf(`${self}/task/${tid}/stat`) ?? 0), 0);
    if (threadIds.length) usage[`λ ${name}`] = ms;
    known += ms;
  }
  usage['host other threads'] = Math.max(0, total - known);
  for (const [label, pid] of Object.entries(parts.children)) {
    const ms = cpuMsOf(`/proc/${pid}/stat`);
    if (ms !== undefined) usage[label] = ms;
  }
  return usage;
}

/**
 * What each part used between two readings (a part absent from the first started at 0; a sandbox that ended in
 * between moves its time to 'host other threads').
 */
export function cpuSince(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([label, ms]) => [label, ms - (before[label] ?? 0)]));
}
