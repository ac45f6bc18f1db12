/**
 * Chunk planning (docs/design.md "Workflow"): a job's source text is cut into chunks of about
 * `targetChunkBytes` of its estimated size, and never into more than `maxChunksPerJob` chunks, so its execution
 * history stays under the 25,000-event quota and PrepareJob's output far under the 256 KiB payload limit. The
 * estimate can be wrong (a gzip trailer describes only the last member, modulo 2^32), so chunks grow when it is.
 */

export interface ChunkSettings {
  minChunkBytes: number;
  maxChunksPerJob: number;
}

export function targetChunkBytes(sourceBytes: number, s: ChunkSettings): number {
  return Math.max(s.minChunkBytes, Math.ceil(sourceBytes / s.maxChunksPerJob));
}

export interface ChunkPlan {
  /** Chunk size planned from the estimate. */
  targetBytes: number;
  /** The estimated source size the plan was made from. */
  plannedBytes: number;
  /** Chunks the estimate is spread over; the others are kept for a source larger than estimated. */
  plannedChunks: number;
  /** Hard ceiling on the number of chunks. */
  maxChunks: number;
  /** Most bytes the lines can add up to (maxUncompressedBytes): what the chunks left must always be able to take. */
  maxSourceBytes: number;
}

/**
 * Spreads the estimate (capped at maxUncompressedBytes) over the chunks that a source as large as the cap would
 * not need for its excess: `reserve` chunks of 2 × cap / maxChunksPerJob can take whatever the estimate missed.
 * An estimate of the full cap keeps every chunk for the plan; a tiny one keeps about half in reserve.
 */
export function planChunks(
  estimatedBytes: number,
  s: ChunkSettings & { maxUncompressedBytes: number },
): ChunkPlan {
  const cap = s.maxUncompressedBytes;
  const plannedBytes = Math.min(estimatedBytes, cap);
  const reserve = Math.min(
    s.maxChunksPerJob - 1,
    Math.ceil((s.maxChunksPerJob * (cap - plannedBytes)) / (2 * cap)),
  );
  const plannedChunks = s.maxChunksPerJob - reserve;
  return {
    targetBytes: targetChunkBytes(plannedBytes, { ...s, maxChunksPerJob: plannedChunks }),
    plannedBytes,
    plannedChunks,
    maxChunks: s.maxChunksPerJob,
    maxSourceBytes: cap,
  };
}

/** A fixed target with no ceiling (tests and callers that bound the source themselves). */
const fixedPlan = (targetBytes: number): ChunkPlan => ({
  targetBytes,
  plannedBytes: Infinity,
  plannedChunks: Infinity,
  maxChunks: Infinity,
  maxSourceBytes: Infinity,
});

/**
 * The size at which the next chunk closes, once `emitted` chunks holding `bytesSoFar` are written. While the
 * estimate holds and planned chunks are left, the planned target. After that, chunks grow so that whatever the
 * source may still hold (up to `maxSourceBytes`) fits in the chunks left, and the last chunk allowed takes every
 * remaining line. So the count never passes `maxChunks`; no chunk but the last is larger than
 * max(target, 2 × maxSourceBytes / maxChunks) plus one line, and the last is at most about the one before.
 */
export function nextChunkTarget(plan: ChunkPlan, emitted: number, bytesSoFar: number): number {
  const chunksLeft = plan.maxChunks - emitted;
  if (chunksLeft <= 1) return Infinity;
  if (emitted < plan.plannedChunks && bytesSoFar <= plan.plannedBytes) return plan.targetBytes;
  return Math.max(plan.targetBytes, Math.ceil((plan.maxSourceBytes - bytesSoFar) / chunksLeft));
}

/** The lines add up to more than the plan's `maxSourceBytes` (only many short pre-rejected lines can do that). */
export class SourceTooLarge extends RangeError {
  constructor(readonly maxSourceBytes: number) {
    super(`the submission's lines add up to more than ${maxSourceBytes} bytes`);
    this.name = 'SourceTooLarge';
  }
}

export interface Chunk {
  n: number;
  /** Source index of the chunk's first line. */
  start: number;
  /** Consecutive source lines: line i has source index start + i. Blank lines are kept in place. */
  lines: string[];
  /** Non-blank lines, i.e. event candidates. */
  events: number;
}

const isBlank = (line: string): boolean => line.trim() === '';

/**
 * Groups source lines into chunks. A line weighs its UTF-8 bytes plus one for its newline; a chunk closes as
 * soon as its weight reaches its target (a number: always that target; a plan: `nextChunkTarget`). Blank lines
 * keep their index but are not events, and a chunk made only of blank lines is not emitted (chunk numbers stay
 * consecutive). With a plan, lines weighing more than `maxSourceBytes + 1` in all throw SourceTooLarge.
 */
export async function* chunkLines(
  lines: AsyncIterable<string>,
  planOrTarget: ChunkPlan | number,
): AsyncGenerator<Chunk> {
  const plan = typeof planOrTarget === 'number' ? fixedPlan(planOrTarget) : planOrTarget;
  // A last line without a newline still weighs its newline.
  const maxWeight = plan.maxSourceBytes + 1;
  let n = 0;
  let index = 0;
  let current: Omit<Chunk, 'n'> = { start: 0, lines: [], events: 0 };
  let bytes = 0;
  let total = 0;
  let target = nextChunkTarget(plan, 0, 0);
  for await (const line of lines) {
    if (current.lines.length === 0) current.start = index;
    current.lines.push(line);
    if (!isBlank(line)) current.events += 1;
    const weight = Buffer.byteLength(line, 'utf8') + 1;
    bytes += weight;
    total += weight;
    if (total > maxWeight) throw new SourceTooLarge(plan.maxSourceBytes);
    index += 1;
    if (bytes >= target) {
      if (current.events > 0) {
        yield { n: n++, ...current };
        target = nextChunkTarget(plan, n, total);
      }
      current = { start: index, lines: [], events: 0 };
      bytes = 0;
    }
  }
  if (current.events > 0) yield { n, ...current };
}

const TWO_POW_32 = 2 ** 32;

/**
 * The uncompressed size of a gzip file from its trailer's ISIZE (the last 4 bytes, little-endian), which is
 * the size mod 2^32. When the file is larger than deflate could ever make ISIZE bytes (zlib's deflateBound
 * plus room for header fields), the size wrapped and 2^32 is added until it fits. This is an estimate for
 * chunk planning: a file that grew by more than 2^32 and compresses extremely well can still be undercounted,
 * and only the last member of a multi-member file is described.
 */
export function gzipUncompressedSize(trailer: Uint8Array, compressedBytes: number): number {
  if (trailer.byteLength < 4) throw new RangeError('a gzip trailer needs at least 4 bytes');
  const view = new DataView(trailer.buffer, trailer.byteOffset + trailer.byteLength - 4, 4);
  let size = view.getUint32(0, true);
  while (compressedBytes > maxGzipBytes(size)) size += TWO_POW_32;
  return size;
}

const GZIP_WRAPPER_BYTES = 18;
/** FNAME, FCOMMENT and FEXTRA header fields. */
const GZIP_HEADER_FIELDS_ALLOWANCE = 64 * 1024;

function maxGzipBytes(uncompressed: number): number {
  const deflateBound =
    uncompressed +
    Math.floor(uncompressed / 4096) +
    Math.floor(uncompressed / 16384) +
    Math.floor(uncompressed / 2 ** 25) +
    7;
  return deflateBound + GZIP_WRAPPER_BYTES + GZIP_HEADER_FIELDS_ALLOWANCE;
}

/** Execution history events per task state run once: Entered, Scheduled, Started, Succeeded, Exited. */
const TASK_EVENTS = 5;
/** Each retry adds the failed attempt's TaskScheduled, TaskStarted, TaskFailed. */
const RETRY_EVENTS = 3;

/**
 * History events of one successful execution of workflows/ingest.asl.json: ExecutionStarted; PrepareJob;
 * the Map (MapStateEntered, MapStateStarted, per chunk MapIterationStarted + IngestChunk +
 * MapIterationSucceeded, MapStateSucceeded, MapStateExited); FinalizeJob; JobSucceeded entered/exited;
 * ExecutionSucceeded. `retriesPerTask` retries are assumed for every task run.
 */
export function estimateHistoryEvents(chunkCount: number, retriesPerTask = 0): number {
  const task = TASK_EVENTS + RETRY_EVENTS * retriesPerTask;
  const execution = 2; // ExecutionStarted, ExecutionSucceeded
  const map = 4 + chunkCount * (2 + task);
  const succeed = 2;
  return execution + task /* PrepareJob */ + map + task /* FinalizeJob */ + succeed;
}
