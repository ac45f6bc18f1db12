/**
 * Per-event checks: CloudEvents 1.0 core attributes and the JSON event format. A JSON `null` attribute counts
 * as absent (JSON format, type system mapping). Extension names must be lowercase a-z0-9 (a MUST); the
 * 20-character length is only a SHOULD, so longer names are accepted. Extension values must map to a
 * CloudEvents type: string (String, URI, URI-reference, Timestamp, Binary), boolean, or a 32-bit Integer.
 */
import { fullFormats } from 'ajv-formats/dist/formats';
import { isMediaType } from './media-type';
import { normalizeTimestamp, parseRfc3339 } from './timestamp';
import type { CloudEvent } from './types';
import {
  LIMITED_ATTRIBUTES,
  MAX_ATTRIBUTE_BYTES,
  MAX_DATA_DEPTH,
  MAX_REJECTION_REASON_CHARS,
  jsonDepth,
  nonFinitePointer,
  keyPart,
  truncateChars,
  wellFormedBytes,
} from './limits';

export type EnvelopeResult =
  { ok: true; event: CloudEvent; serialized: string } | { ok: false; id: string | null; reason: string };

export interface EnvelopeLimits {
  maxEventBytes: number;
}

const CONTEXT_ATTRIBUTES = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'datacontenttype',
  'dataschema',
  'subject',
  'time',
]);
const EXTENSION_NAME = /^[a-z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export function parseEventLine(line: string, limits: EnvelopeLimits): EnvelopeResult {
  let candidate: unknown;
  try {
    candidate = JSON.parse(line);
  } catch (err) {
    return { ok: false, id: null, reason: `event: not valid JSON (${errorMessage(err)})` };
  }
  return checkEnvelope(candidate, limits);
}

/**
 * Never throws, whatever `candidate` is: depth is measured before anything serializes it, the attribute limits
 * before any pattern runs on an attribute, and every reason is cut to MAX_REJECTION_REASON_CHARS.
 */
export function checkEnvelope(candidate: unknown, limits: EnvelopeLimits): EnvelopeResult {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    return { ok: false, id: null, reason: 'event: must be a JSON object' };
  }
  const attrs = candidate as Record<string, unknown>;
  const id = typeof attrs.id === 'string' ? attrs.id : null;
  const problem = depthProblem(attrs);
  if (problem !== null) return rejected(id, problem);
  let serialized: string;
  try {
    serialized = JSON.stringify(attrs);
  } catch {
    return rejected(id, tooLarge(limits)); // only a string past V8's length limit gets here
  }
  const reason =
    Buffer.byteLength(serialized, 'utf8') > limits.maxEventBytes
      ? tooLarge(limits)
      : (coreAttributeProblem(attrs) ?? dataProblem(attrs) ?? extensionProblem(attrs));
  return reason === null ? { ok: true, event: attrs as CloudEvent, serialized } : rejected(id, reason);
}

const rejected = (id: string | null, reason: string): EnvelopeResult => ({
  ok: false,
  id,
  reason: truncateChars(reason, MAX_REJECTION_REASON_CHARS),
});

const tooLarge = (limits: EnvelopeLimits) => `event: larger than ${limits.maxEventBytes} bytes serialized`;

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** An attribute name as a reason shows it: cut short, lone surrogates replaced, quoted when not plain. */
function shownName(name: string): string {
  const short = truncateChars(name, 100).toWellFormed();
  return /^[^\s:"]+$/.test(short) ? short : JSON.stringify(short);
}

function depthProblem(attrs: Record<string, unknown>): string | null {
  for (const [name, value] of Object.entries(attrs)) {
    if (jsonDepth(value, MAX_DATA_DEPTH) > MAX_DATA_DEPTH) {
      return `${shownName(name)}: nested deeper than ${MAX_DATA_DEPTH} levels`;
    }
    const pointer = nonFinitePointer(value);
    if (pointer !== undefined) {
      return `${shownName(name)}: holds a number outside the range of a double (at ${pointer || '/'})`;
    }
  }
  return null;
}

const present = (value: unknown): boolean => value !== undefined && value !== null;
const nonEmptyString = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** The limits of `id`, `source`, `type` and `subject` (README "Limits"), for a non-empty string value. */
function limitProblem(name: (typeof LIMITED_ATTRIBUTES)[number], value: string): string | null {
  const bytes = wellFormedBytes(value);
  if (bytes === undefined) return `${name}: must be well-formed UTF-16 (no lone surrogates)`;
  if (bytes > MAX_ATTRIBUTE_BYTES) return `${name}: must be at most ${MAX_ATTRIBUTE_BYTES} bytes of UTF-8`;
  return null;
}

function coreAttributeProblem(a: Record<string, unknown>): string | null {
  if (!present(a.specversion)) return 'specversion: required';
  if (a.specversion !== '1.0') return 'specversion: must be "1.0"';
  if (!present(a.id)) return 'id: required';
  if (!nonEmptyString(a.id)) return 'id: must be a non-empty string';
  const idProblem = limitProblem('id', a.id);
  if (idProblem !== null) return idProblem;
  if (!present(a.source)) return 'source: required';
  if (!nonEmptyString(a.source)) return 'source: must be a non-empty URI-reference';
  const sourceProblem = limitProblem('source', a.source);
  if (sourceProblem !== null) return sourceProblem;
  if (!isUriReference(a.source)) return 'source: must be a non-empty URI-reference';
  if (!present(a.type)) return 'type: required';
  if (!nonEmptyString(a.type)) return 'type: must be a non-empty string';
  const typeProblem = limitProblem('type', a.type);
  if (typeProblem !== null) return typeProblem;
  if (
    present(a.datacontenttype) &&
    !(typeof a.datacontenttype === 'string' && isMediaType(a.datacontenttype))
  ) {
    return 'datacontenttype: must be a string (RFC 2046 media type)';
  }
  if (present(a.dataschema) && !(nonEmptyString(a.dataschema) && isAbsoluteUri(a.dataschema))) {
    return 'dataschema: must be an absolute URI';
  }
  if (present(a.subject)) {
    if (!nonEmptyString(a.subject)) return 'subject: must be a non-empty string';
    const subjectProblem = limitProblem('subject', a.subject);
    if (subjectProblem !== null) return subjectProblem;
  }
  if (present(a.time) && !(typeof a.time === 'string' && parseRfc3339(a.time) !== null)) {
    return 'time: must be an RFC 3339 timestamp with seconds';
  }
  return null;
}

function dataProblem(a: Record<string, unknown>): string | null {
  if (!present(a.data_base64)) return null;
  if (present(a.data)) return 'data: data and data_base64 are mutually exclusive';
  if (typeof a.data_base64 !== 'string' || !BASE64.test(a.data_base64)) return 'data_base64: must be base64';
  return null;
}

function extensionProblem(a: Record<string, unknown>): string | null {
  for (const [name, value] of Object.entries(a)) {
    if (CONTEXT_ATTRIBUTES.has(name) || name === 'data' || name === 'data_base64') continue;
    if (!EXTENSION_NAME.test(name))
      return `${shownName(name)}: extension attribute names must be lowercase a-z0-9`;
    const typed =
      value === null ||
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX);
    if (!typed) return `${name}: extension attribute values must be a string, a boolean or a 32-bit integer`;
  }
  return null;
}

function isUriReference(value: string): boolean {
  return (fullFormats['uri-reference'] as RegExp).test(value);
}

function isAbsoluteUri(value: string): boolean {
  return (fullFormats.uri as (s: string) => boolean)(value);
}

/**
 * Character budgets of the key parts built from an event (docs/design.md, DynamoDB). keyPart's output is ASCII,
 * so characters are bytes. With a sort time of at most 27 characters (`+010000-01-01T00:00:00.000Z`):
 * pk `EVENT#<tenant>#<identity>` ≤ 6 + 384 + 1 + 995 = 1,386 bytes; gsi1pk `TYPE#<tenant>#<type>#<shard>` ≤
 * 5 + 384 + 1 + 1,600 + 3 = 1,993 bytes (shards < 64; both < 2,048); gsi1sk `<time>#<identity>` ≤ 27 + 1 + 995
 * = 1,023 bytes (< 1,024).
 */
export const KEY_BUDGETS = {
  tenant: 384,
  /** encoded source + encoded id, together (they share gsi1sk). */
  identity: 994,
  type: 1_600,
} as const;

/**
 * `<source>#<id>` in keys: both URI-encoded while together they fit (every key written before the limits
 * existed), else each part over half the budget hashed. Each part is either an encoding or a hash, so the pair
 * maps to one key and back.
 */
export function identityKeyPart(source: string, id: string): string {
  const whole = [keyPart(source, KEY_BUDGETS.identity), keyPart(id, KEY_BUDGETS.identity)];
  if (whole[0]!.length + whole[1]!.length <= KEY_BUDGETS.identity) return whole.join('#');
  const half = Math.floor(KEY_BUDGETS.identity / 2);
  return `${keyPart(source, half)}#${keyPart(id, half)}`;
}

export const tenantKeyPart = (tenant: string): string => keyPart(tenant, KEY_BUDGETS.tenant);

/** The dedupe key of an event: CloudEvents identity (source, id) within one tenant. */
export function eventKey(tenant: string, source: string, id: string): { pk: string; sk: string } {
  return { pk: `EVENT#${tenantKeyPart(tenant)}#${identityKeyPart(source, id)}`, sk: 'EVENT' };
}

/** The instant an event is indexed by: its `time`, else the ingestion time; UTC ISO with milliseconds. */
export function sortTime(event: CloudEvent, ingestedAt: string): string {
  const time = typeof event.time === 'string' ? normalizeTimestamp(event.time) : null;
  return time ?? normalizeTimestamp(ingestedAt) ?? ingestedAt;
}
