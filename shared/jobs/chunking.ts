/**
 * Chunk planning (docs/design.md "Workflow"): a job's source text is cut into chunks of about
 * `targetChunkBytes`, so a job never has more than about `maxChunksPerJob` chunks and its execution history
 * stays under the 25,000-event quota.
 */

export interface ChunkSettings {
  minChunkBytes: number;
  maxChunksPerJob: number;
}

export function targetChunkBytes(sourceBytes: number, s: ChunkSettings): number {
  return Math.max(s.minChunkBytes, Math.ceil(sourceBytes / s.maxChunksPerJob));
}

/** Every chunk but the last holds at least `targetBytes`, so this is the most chunks a source can make. */
export function maxChunkCount(sourceBytes: number, targetBytes: number): number {
  return Math.floor(sourceBytes / targetBytes) + 1;
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
 * soon as its weight reaches `targetBytes`. Blank lines keep their index but are not events, and a chunk
 * made only of blank lines is not emitted (chunk numbers stay consecutive).
 */
export async function* chunkLines(lines: AsyncIterable<string>, targetBytes: number): AsyncGenerator<Chunk> {
  let n = 0;
  let index = 0;
  let current: Omit<Chunk, 'n'> = { start: 0, lines: [], events: 0 };
  let bytes = 0;
  for await (const line of lines) {
    if (current.lines.length === 0) current.start = index;
    current.lines.push(line);
    if (!isBlank(line)) current.events += 1;
    bytes += Buffer.byteLength(line, 'utf8') + 1;
    index += 1;
    if (bytes >= targetBytes) {
      if (current.events > 0) yield { n: n++, ...current };
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
