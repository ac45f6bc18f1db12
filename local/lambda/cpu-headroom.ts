/**
 * Whether the machine has CPU to spare for another execution environment. In AWS every new environment comes
 * with CPU of its own; here environments share a few cores, and once those are busy a new one adds no
 * throughput, only its init (compiling the bundle) and one more V8 heap and JIT to warm up. CPU that niced
 * threads use (background functions, other niced work) counts as spare for a default-priority environment,
 * which would take it from them, but not for a background one.
 */
import { cpus } from 'node:os';

interface CpuTimes {
  idle: number;
  nice: number;
  total: number;
}

function cpuTimes(): CpuTimes {
  const sum = { idle: 0, nice: 0, total: 0 };
  for (const { times } of cpus()) {
    sum.idle += times.idle;
    sum.nice += times.nice;
    sum.total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return sum;
}

export class CpuHeadroom {
  private last = cpuTimes();
  private lastAt = Date.now();
  private share = { idle: 1, nice: 0 };

  /**
   * @param minSpareShare the share of all cores that must be spare (0.25: half a core of two)
   * @param sampleMs how old a measurement may be
   */
  constructor(
    private readonly minSpareShare = 0.25,
    private readonly sampleMs = 250,
  ) {}

  /** Spare CPU for an environment of default priority (`background` false) or a niced one. */
  hasSpare(background: boolean): boolean {
    const now = Date.now();
    if (now - this.lastAt >= this.sampleMs) {
      const times = cpuTimes();
      const total = times.total - this.last.total;
      if (total > 0) {
        this.share = {
          idle: (times.idle - this.last.idle) / total,
          nice: (times.nice - this.last.nice) / total,
        };
      }
      this.last = times;
      this.lastAt = now;
    }
    const spare = background ? this.share.idle : this.share.idle + this.share.nice;
    return spare >= this.minSpareShare;
  }
}
