import { InvalidArgumentError } from 'commander';

/** Commander parsers: a bad value becomes a usage error (exit 2) naming the option. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
}

/** Poll interval in seconds (decimals allowed) → milliseconds. */
export function intervalSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError('expected seconds > 0');
  return Math.round(seconds * 1000);
}

const relativeUnits: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An ISO 8601 time, or a span back from now (`90s`, `15m`, `2h`, `7d`), as a UTC ISO string. */
export function timeArgument(value: string, now: number = Date.now()): string {
  const relative = value.match(/^(\d+)([smhd])$/);
  if (relative) return new Date(now - Number(relative[1]) * relativeUnits[relative[2]!]!).toISOString();
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed))
    throw new InvalidArgumentError('expected an ISO 8601 time or a span like 15m, 2h, 7d');
  return new Date(parsed).toISOString();
}
