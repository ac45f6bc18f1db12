/**
 * One chunk's ingest: envelope check, the data schema of the event's type, then a first-write-wins store.
 * Checks run in index order, so within a chunk the first valid occurrence of an event is the one stored and its
 * later copies count as duplicates without a write; across chunks and jobs the store's condition decides.
 * Nothing an event holds fails the chunk: every per-event problem, an exception in its checks or its store
 * included, is that event's rejection. Only infrastructure errors (isInfrastructureError) fail it, to be retried.
 */
import pLimit from 'p-limit';
import { parseEventLine } from '../cloudevents/envelope';
import { rejection } from '../cloudevents/limits';
import type { CloudEvent, Rejection } from '../cloudevents/types';
import { checkEventData, compileSchema, resetCompilers, type DataValidator } from '../schemas/validator';
import {
  runChecksBounded,
  VALIDATION_TIME_LIMITS,
  type ValidationBudget,
  type ValidationTimeLimits,
} from '../schemas/time-bound';
import { zeroCounts } from '../jobs/model';
import type { ChunkResult } from '../jobs/results';
import { isBlankLine } from './chunks';
import { isInfrastructureError } from './errors';
import { preRejection } from './lines';

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
  /** How long schema validation may take; VALIDATION_TIME_LIMITS when absent. */
  validationTime?: ValidationTimeLimits;
  /** Validation time this chunk shares with others (a group execution's jobs), besides its own. */
  validationBudgets?: readonly ValidationBudget[];
}

interface Accepted {
  index: number;
  event: CloudEvent;
  serialized: string;
}

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * The validator of one type's schema (rebuilt after a stopped validation), compiled when it first runs: inside
 * the time-bounded checks, so a schema that compiles slowly (a 50 KB schema can take seconds) costs its
 * event's `perEventMs` and the chunk's budget, not unbounded task time.
 */
function validatorOf(type: string, schema: unknown): DataValidator {
  let compiled: DataValidator | undefined;
  return (data) => (compiled ??= compiledValidator(type, schema))(data);
}

function compiledValidator(type: string, schema: unknown): DataValidator {
  try {
    const compiled = compileSchema(schema);
    // Schemas are checked when stored; one that no longer compiles rejects the data rather than the job.
    if (compiled.ok) return compiled.validate;
    return () => `data: the schema for type ${type} does not compile (${compiled.message})`;
  } catch (error) {
    return () => `data: the schema for type ${type} does not compile (${describeError(error)})`;
  }
}

interface TypeSchema {
  schema: unknown;
  validate: DataValidator;
  /** Why the schema could not be read: every event of the type is rejected with it. */
  unreadable?: string;
}

/** One validator per type present in the chunk; undefined = no schema, the data is not checked. */
async function validatorsFor(
  types: Iterable<string>,
  schemaFor: IngestDeps['schemaFor'],
): Promise<Map<string, TypeSchema | undefined>> {
  const entries = await Promise.all(
    [...types].map(async (type): Promise<[string, TypeSchema | undefined]> => {
      let schema: unknown;
      try {
        schema = await schemaFor(type);
      } catch (error) {
        if (isInfrastructureError(error)) throw error;
        const reason = `data: the schema for type ${type} could not be read (${describeError(error)})`;
        return [type, { schema: undefined, validate: () => reason, unreadable: reason }];
      }
      return [type, schema === undefined ? undefined : { schema, validate: validatorOf(type, schema) }];
    }),
  );
  return new Map(entries);
}

function parseLines(chunk: ChunkLines, maxEventBytes: number) {
  const accepted: Accepted[] = [];
  const rejections: Rejection[] = [];
  chunk.lines.forEach((line, offset) => {
    if (isBlankLine(line)) return;
    const index = chunk.start + offset;
    const preRejected = preRejection(line);
    if (preRejected !== undefined) {
      rejections.push(rejection(index, preRejected.id, preRejected.reason));
      return;
    }
    const result = parseEventLine(line, { maxEventBytes });
    if (result.ok) accepted.push({ index, event: result.event, serialized: result.serialized });
    else rejections.push(rejection(index, result.id, result.reason));
  });
  return { accepted, rejections, received: accepted.length + rejections.length };
}

/** The data check of every accepted event (null when valid or without a schema), under the time limits. */
async function dataReasons(accepted: Accepted[], deps: IngestDeps): Promise<(string | null)[]> {
  const validators = await validatorsFor(new Set(accepted.map((a) => a.event.type)), deps.schemaFor);
  const checked = accepted.filter((a) => validators.get(a.event.type) !== undefined);
  const results = runChecksBounded(
    checked.map((a) => () => {
      const { validate, unreadable } = validators.get(a.event.type)!;
      return unreadable ?? checkEventData(a.event, validate);
    }),
    deps.validationTime ?? VALIDATION_TIME_LIMITS,
    (i) => {
      resetCompilers(); // a compile stopped half-way may have left its schema registered
      const type = checked[i]!.event.type;
      validators.set(type, {
        ...validators.get(type)!,
        validate: validatorOf(type, validators.get(type)!.schema),
      });
    },
    deps.validationBudgets,
  );
  const byIndex = new Map(checked.map((a, i) => [a.index, results[i]!]));
  return accepted.map((a) => byIndex.get(a.index) ?? null);
}

export async function ingestChunk(chunk: ChunkLines, deps: IngestDeps): Promise<ChunkResult> {
  const counts = zeroCounts();
  const { accepted, rejections, received } = parseLines(chunk, deps.maxEventBytes);
  counts.received = received;

  const reasons = await dataReasons(accepted, deps);
  const firstOccurrence = new Set<string>();
  const toStore: Accepted[] = [];
  accepted.forEach((item, i) => {
    const reason = reasons[i];
    if (reason !== null && reason !== undefined) {
      rejections.push(rejection(item.index, item.event.id, reason));
      return;
    }
    const identity = JSON.stringify([item.event.source, item.event.id]);
    if (firstOccurrence.has(identity)) {
      counts.duplicates++;
      return;
    }
    firstOccurrence.add(identity);
    toStore.push(item);
  });

  const limit = pLimit(deps.writeConcurrency);
  const store = async (item: Accepted): Promise<'stored' | 'duplicate' | Rejection> => {
    try {
      return await deps.store(item.event, item.serialized, item.index);
    } catch (error) {
      if (isInfrastructureError(error)) throw error;
      return rejection(item.index, item.event.id, `event: could not be stored (${describeError(error)})`);
    }
  };
  const outcomes = await Promise.all(toStore.map((item) => limit(() => store(item)))).catch(
    (error: unknown) => {
      limit.clearQueue(); // the chunk is retried whole: no point writing the rest now
      throw error;
    },
  );
  for (const outcome of outcomes) {
    if (outcome === 'stored') counts.accepted++;
    else if (outcome === 'duplicate') counts.duplicates++;
    else rejections.push(outcome);
  }
  rejections.sort((a, b) => a.index - b.index);
  counts.rejected = rejections.length;
  return { n: chunk.n, counts, rejections };
}
