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
    return { ok: false, id: null, reason: `event: not valid JSON (${(err as Error).message})` };
  }
  return checkEnvelope(candidate, limits);
}

export function checkEnvelope(candidate: unknown, limits: EnvelopeLimits): EnvelopeResult {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    return { ok: false, id: null, reason: 'event: must be a JSON object' };
  }
  const attrs = candidate as Record<string, unknown>;
  const id = typeof attrs.id === 'string' ? attrs.id : null;
  const serialized = JSON.stringify(attrs);
  const reason =
    Buffer.byteLength(serialized, 'utf8') > limits.maxEventBytes
      ? `event: larger than ${limits.maxEventBytes} bytes serialized`
      : (coreAttributeProblem(attrs) ?? dataProblem(attrs) ?? extensionProblem(attrs));
  return reason === null ? { ok: true, event: attrs as CloudEvent, serialized } : { ok: false, id, reason };
}

const present = (value: unknown): boolean => value !== undefined && value !== null;
const nonEmptyString = (value: unknown): value is string => typeof value === 'string' && value !== '';

function coreAttributeProblem(a: Record<string, unknown>): string | null {
  if (!present(a.specversion)) return 'specversion: required';
  if (a.specversion !== '1.0') return 'specversion: must be "1.0"';
  if (!present(a.id)) return 'id: required';
  if (!nonEmptyString(a.id)) return 'id: must be a non-empty string';
  if (!present(a.source)) return 'source: required';
  if (!nonEmptyString(a.source) || !isUriReference(a.source))
    return 'source: must be a non-empty URI-reference';
  if (!present(a.type)) return 'type: required';
  if (!nonEmptyString(a.type)) return 'type: must be a non-empty string';
  if (
    present(a.datacontenttype) &&
    !(typeof a.datacontenttype === 'string' && isMediaType(a.datacontenttype))
  ) {
    return 'datacontenttype: must be a string (RFC 2046 media type)';
  }
  if (present(a.dataschema) && !(nonEmptyString(a.dataschema) && isAbsoluteUri(a.dataschema))) {
    return 'dataschema: must be an absolute URI';
  }
  if (present(a.subject) && !nonEmptyString(a.subject)) return 'subject: must be a non-empty string';
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
    if (!EXTENSION_NAME.test(name)) return `${name}: extension attribute names must be lowercase a-z0-9`;
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

/** The dedupe key of an event: CloudEvents identity (source, id) within one tenant. */
export function eventKey(tenant: string, source: string, id: string): { pk: string; sk: string } {
  return { pk: `EVENT#${tenant}#${encodeURIComponent(source)}#${encodeURIComponent(id)}`, sk: 'EVENT' };
}

/** The instant an event is indexed by: its `time`, else the ingestion time; UTC ISO with milliseconds. */
export function sortTime(event: CloudEvent, ingestedAt: string): string {
  const time = typeof event.time === 'string' ? normalizeTimestamp(event.time) : null;
  return time ?? normalizeTimestamp(ingestedAt) ?? ingestedAt;
}
