/**
 * Write sharding of the two keys one tenant writes at its own rate (docs/design.md "Shards"): job items spread
 * over `jobShards` partitions `TENANT#<tenant>#<k>`, the type index over `typeShards` partitions
 * `TYPE#<tenant>#<type>#<k>`. k is a stable hash, so a key is found again without a lookup, in any function.
 */
import { createHash } from 'node:crypto';
import { defaultSettings, MAX_SHARDS, settingEnvNames } from '../../../cdk/wiring';

export { MAX_SHARDS };

/** The shard of `value`: the first 4 bytes of its SHA-256 (UTF-8) as an unsigned integer, mod `shards`. */
export function shardOf(value: string, shards: number): number {
  return createHash('sha256').update(value, 'utf8').digest().readUInt32BE(0) % shards;
}

/** Every shard number of a key sharded `shards` ways. */
export const shardNumbers = (shards: number): number[] => Array.from({ length: shards }, (_, k) => k);

export interface ShardCounts {
  jobShards: number;
  typeShards: number;
}

/**
 * The shard counts a function was deployed with (JOB_SHARDS, TYPE_SHARDS from cdk/wiring.ts settings); a
 * variable that is not set means the default, one that is set must be an integer from 1 to MAX_SHARDS.
 */
export function shardCounts(env: NodeJS.ProcessEnv = process.env): ShardCounts {
  const read = (name: keyof ShardCounts): number => {
    const variable = settingEnvNames[name];
    const raw = env[variable];
    if (raw === undefined || raw === '') return defaultSettings[name];
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > MAX_SHARDS) {
      throw new Error(
        `Invalid environment: ${variable} must be an integer from 1 to ${MAX_SHARDS}, got ${raw}`,
      );
    }
    return value;
  };
  return { jobShards: read('jobShards'), typeShards: read('typeShards') };
}

export function checkShards(shards: number): number {
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
    throw new RangeError(`a shard count must be an integer from 1 to ${MAX_SHARDS}, got ${shards}`);
  }
  return shards;
}
