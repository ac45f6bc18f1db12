/**
 * One chunk's ingest: envelope check, the data schema of the event's type, then a first-write-wins store.
 * Checks run in index order, so within a chunk the first valid occurrence of an event is the one stored and its
 * later copies count as duplicates without a write; across chunks and jobs the store's condition decides.
 */
import pLimit from 'p-limit';
import { parseEventLine } from '../cloudevents/envelope';
import type { CloudEvent, Rejection } from '../cloudevents/types';
import { checkEventData, compileSchema, type DataValidator } from '../schemas/validator';
import { zeroCounts } from '../jobs/model';
import type { ChunkResult } from '../jobs/results';
import { isBlankLine } from './chunks';

export interface ChunkLines {
  n: number;
  start: number;
  lines: readonly string[];
}

export interface IngestDeps {
  maxEventBytes: number;
  /** Store calls in flight. */
  writeConcurrency: number;
  /** The tenant's JSON Schema for the data of `type`, or undefined when there is none. */
  schemaFor(type: string): Promise<unknown | undefined>;
  store(event: CloudEvent, serialized: string, index: number): Promise<'stored' | 'duplicate'>;
}

interface Accepted {
  index: number;
  event: CloudEvent;
  serialized: string;
}

/** One validator per type present in the chunk; undefined = no schema, the data is not checked. */
async function validatorsFor(
  types: Iterable<string>,
  schemaFor: IngestDeps['schemaFor'],
): Promise<Map<string, DataValidator | undefined>> {
  const entries = await Promise.all(
    [...types].map(async (type): Promise<[string, DataValidator | undefined]> => {
      const schema = await schemaFor(type);
      if (schema === undefined) return [type, undefined];
      const compiled = compileSchema(schema);
      // Schemas are checked when stored; one that no longer compiles rejects the data rather than the job.
      const validate: DataValidator = compiled.ok
        ? compiled.validate
        : () => `data: the schema for type ${type} does not compile (${compiled.message})`;
      return [type, validate];
    }),
  );
  return new Map(entries);
}

export async function ingestChunk(chunk: ChunkLines, deps: IngestDeps): Promise<ChunkResult> {
  const counts = zeroCounts();
  const rejections: Rejection[] = [];
  const parsed: (Accepted | { index: number; id: string | null; reason: string })[] = [];
  chunk.lines.forEach((line, offset) => {
    if (isBlankLine(line)) return;
    const index = chunk.start + offset;
    const result = parseEventLine(line, { maxEventBytes: deps.maxEventBytes });
    parsed.push(
      result.ok ? { index, event: result.event, serialized: result.serialized } : { index, ...result },
    );
  });
  counts.received = parsed.length;

  const validators = await validatorsFor(
    new Set(parsed.flatMap((p) => ('event' in p ? [p.event.type] : []))),
    deps.schemaFor,
  );
  const firstOccurrence = new Set<string>();
  const toStore: Accepted[] = [];
  for (const item of parsed) {
    if (!('event' in item)) {
      rejections.push({ index: item.index, id: item.id, reason: item.reason });
      continue;
    }
    const validate = validators.get(item.event.type);
    const reason = validate ? checkEventData(item.event, validate) : null;
    if (reason !== null) {
      rejections.push({ index: item.index, id: item.event.id, reason });
      continue;
    }
    const identity = JSON.stringify([item.event.source, item.event.id]);
    if (firstOccurrence.has(identity)) {
      counts.duplicates++;
      continue;
    }
    firstOccurrence.add(identity);
    toStore.push(item);
  }
  counts.rejected = rejections.length;

  const limit = pLimit(deps.writeConcurrency);
  const outcomes = await Promise.all(
    toStore.map((item) => limit(() => deps.store(item.event, item.serialized, item.index))),
  ).catch((error: unknown) => {
    limit.clearQueue(); // the chunk is retried whole: no point writing the rest now
    throw error;
  });
  for (const outcome of outcomes) {
    if (outcome === 'stored') counts.accepted++;
    else counts.duplicates++;
  }
  return { n: chunk.n, counts, rejections };
}
