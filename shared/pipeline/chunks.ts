/**
 * Splitting a submission's lines into chunk objects as they are read: each chunk is written as soon as it
 * closes, with a few writes in flight, so memory holds only a handful of chunks whatever the submission size.
 * With a plan, the chunk count never passes its `maxChunks` (chunks grow instead, see nextChunkTarget).
 */
import { chunkLines, SourceTooLarge, type ChunkPlan } from '../jobs/chunking';
import { TaskError } from './errors';

export interface ChunkRef {
  n: number;
  /** Index (in the submission) of the chunk's first line. */
  start: number;
}

export interface WrittenChunks {
  /** Non-blank lines: the events the job received. */
  received: number;
  chunks: ChunkRef[];
}

/** Blank lines keep their place in the numbering but are not events (as chunkLines counts them). */
export const isBlankLine = (line: string): boolean => line.trim() === '';

/** A chunk object's body: one line per source line, blank ones included, so offsets map back to indexes. */
export const chunkBody = (lines: readonly string[]): string => lines.join('\n');

export const chunkBodyLines = (body: string): string[] => body.split('\n');

export async function writeChunks(
  lines: AsyncIterable<string>,
  plan: ChunkPlan | number,
  write: (n: number, body: string) => Promise<void>,
  maxWritesInFlight = 4,
): Promise<WrittenChunks> {
  const chunks: ChunkRef[] = [];
  const inFlight = new Set<Promise<void>>();
  let received = 0;
  try {
    for await (const chunk of chunkLines(lines, plan)) {
      received += chunk.events;
      chunks.push({ n: chunk.n, start: chunk.start });
      if (inFlight.size >= maxWritesInFlight) await Promise.race(inFlight);
      const writing: Promise<void> = write(chunk.n, chunkBody(chunk.lines)).then(() => {
        inFlight.delete(writing);
      });
      writing.catch(() => {}); // observed by the race or the final wait; not an unhandled rejection meanwhile
      inFlight.add(writing);
    }
  } catch (error) {
    await Promise.allSettled(inFlight);
    if (error instanceof SourceTooLarge)
      throw new TaskError('UploadTooLarge', error.message, { cause: error });
    throw error;
  }
  await Promise.all(inFlight);
  return { received, chunks };
}
