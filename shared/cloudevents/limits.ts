/**
 * The limits an untrusted event meets before anything stores or serializes it (README "Limits"). They are
 * chosen so that every DynamoDB key built from an event stays under AWS's limits (partition key 2,048 bytes,
 * sort key 1,024 bytes) on the table and on every index, whatever the characters: key parts whose encoded
 * form would not fit are replaced by a hash (`keyPart`), and the full values stay in the item's attributes.
 */
import { createHash } from 'node:crypto';
import type { Rejection } from './types';

/** `id`, `source`, `type` and `subject`: at most this many bytes of UTF-8 (and well-formed UTF-16). */
export const MAX_ATTRIBUTE_BYTES = 1_000;
export const LIMITED_ATTRIBUTES = ['id', 'source', 'type', 'subject'] as const;

/** Deepest nesting of an event's `data` (a scalar is 0, `{}` or `[]` is 1). */
export const MAX_DATA_DEPTH = 64;

/**
 * Deepest nesting of a whole request body or JSON-array upload element. Above it the request is refused (400)
 * before anything serializes it; between MAX_DATA_DEPTH and this, only the event is rejected.
 */
export const MAX_DOCUMENT_DEPTH = 1_000;

/** A rejection's `id` is cut to this many characters (and marked `idTruncated`), its reason to the other. */
export const MAX_REJECTION_ID_CHARS = 256;
export const MAX_REJECTION_REASON_CHARS = 500;

/**
 * How deep `value` nests (a scalar is 0), counted without recursion so no depth can overflow the stack;
 * stops counting once past `stopAbove` and returns `stopAbove + 1`.
 */
export function jsonDepth(value: unknown, stopAbove = Number.MAX_SAFE_INTEGER): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > stopAbove) return stopAbove + 1;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push([child, here]);
    }
  }
  return deepest;
}

/**
 * The JSON Pointer (RFC 6901) of the first number in `value` that is not finite, or undefined when there is
 * none. JSON.parse reads a number outside the range of a double (`1e400`, `-1e999`) as ±Infinity, which
 * JSON.stringify then writes as `null`: stored, such an event would not be what was sent. Iterative, like
 * jsonDepth; callers bound the depth first.
 */
export function nonFinitePointer(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : '';
  if (typeof value !== 'object' || value === null || !holdsNonFinite(value)) return undefined;
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [current, pointer] = stack.pop()!;
    for (const [token, child] of Object.entries(current as object)) {
      if (typeof child === 'number') {
        if (!Number.isFinite(child)) return `${pointer}/${escapePointerToken(token)}`;
      } else if (typeof child === 'object' && child !== null) {
        stack.push([child, `${pointer}/${escapePointerToken(token)}`]);
      }
    }
  }
  return undefined;
}

/** The cheap first pass (no paths built): every event goes through it, almost none holds such a number. */
function holdsNonFinite(value: object): boolean {
  const stack: object[] = [value];
  while (stack.length > 0) {
    const current = stack.pop()!;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'number') {
        if (!Number.isFinite(child)) return true;
      } else if (typeof child === 'object' && child !== null) {
        stack.push(child as object);
      }
    }
  }
  return false;
}

const escapePointerToken = (token: string): string => token.replace(/~/g, '~0').replace(/\//g, '~1');

/** `value`'s UTF-8 byte length, or undefined when it holds a lone surrogate (not well-formed UTF-16). */
export function wellFormedBytes(value: string): number | undefined {
  return value.isWellFormed() ? Buffer.byteLength(value, 'utf8') : undefined;
}

const HASHED_PREFIX = 'sha256:';

/**
 * One `#`-separated part of a DynamoDB key: `encodeURIComponent(value)` when that fits in `maxChars`, else
 * `sha256:<base64url of the value's SHA-256>`. encodeURIComponent never emits `:`, so the two forms cannot
 * collide, and short values keep the keys they always had. Both forms are ASCII (bytes = characters). A value
 * that is not well-formed UTF-16 (never stored: the envelope rejects it) is hashed rather than thrown on, so a
 * lookup with one finds nothing.
 */
export function keyPart(value: string, maxChars: number): string {
  const encoded = value.isWellFormed() ? encodeURIComponent(value) : undefined;
  if (encoded !== undefined && encoded.length <= maxChars) return encoded;
  return hashedKeyPart(value);
}

/** The hashed form of a key part. */
export const hashedKeyPart = (value: string): string =>
  HASHED_PREFIX + createHash('sha256').update(value, 'utf8').digest('base64url');

export const isHashedKeyPart = (part: string): boolean => part.startsWith(HASHED_PREFIX);

/** Cuts a string to `max` characters without splitting a surrogate pair. */
export function truncateChars(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = max;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return value.slice(0, end);
}

/**
 * A rejection as the job records it: id and reason cut to their limits, a cut id marked, and lone surrogates
 * replaced by U+FFFD (the report and the job record must be storable text whatever the event held).
 */
export function rejection(index: number, id: string | null, reason: string): Rejection {
  const shownReason = truncateChars(reason, MAX_REJECTION_REASON_CHARS).toWellFormed();
  if (id === null || id.length <= MAX_REJECTION_ID_CHARS) {
    return { index, id: id === null ? null : id.toWellFormed(), reason: shownReason };
  }
  const shownId = truncateChars(id, MAX_REJECTION_ID_CHARS).toWellFormed();
  return { index, id: shownId, idTruncated: true, reason: shownReason };
}
