/**
 * CloudEvents 1.0 over HTTP (HTTP protocol binding + JSON event format), request level only: which content
 * mode a POST uses and the event candidates it carries. Each candidate's envelope is checked later, inside the
 * job (envelope.ts), so one bad event never fails the request.
 */
import { ApiError } from '../http/errors';
import { checkContentEncoding, decodeText, parseJsonBody } from './body';
import {
  isJsonMediaType,
  isTextMediaType,
  parseMediaType,
  repeatedParameter,
  type MediaType,
} from './media-type';

export interface HttpSubmission {
  headers: Record<string, string | undefined>;
  body: string | undefined;
  isBase64Encoded: boolean;
}

/** `json` = plain application/json (an object is one event, an array a batch). */
export type ContentMode = 'structured' | 'batch' | 'binary' | 'json';

export interface SubmissionLimits {
  maxRequestBytes: number;
  maxEventsPerRequest: number;
}

const STRUCTURED = 'application/cloudevents+json';
const BATCH = 'application/cloudevents-batch+json';
const PLAIN_JSON = 'application/json';

/**
 * Binary mode is recognised by a `ce-specversion` header whatever the Content-Type (SDKs send
 * application/json there). Otherwise the Content-Type picks the mode; a request without one is read as
 * application/json.
 */
export function parseHttpSubmission(
  req: HttpSubmission,
  limits: SubmissionLimits,
): { mode: ContentMode; candidates: unknown[] } {
  const body = Buffer.from(req.body ?? '', req.isBase64Encoded ? 'base64' : 'utf8');
  if (body.byteLength > limits.maxRequestBytes) {
    throw new ApiError(413, 'PayloadTooLarge', `Request body exceeds ${limits.maxRequestBytes} bytes`, [
      { limit: limits.maxRequestBytes, size: body.byteLength },
    ]);
  }
  const headers = lowercaseKeys(req.headers);
  checkContentEncoding(headers['content-encoding']);
  const rawContentType = headers['content-type']?.trim() || undefined;
  const contentType = parseMediaType(rawContentType);
  if (rawContentType !== undefined && contentType === undefined) {
    throw unsupported(`Content-Type ${JSON.stringify(shown(rawContentType))} is not a media type`);
  }
  const repeated = rawContentType === undefined ? undefined : repeatedParameter(rawContentType);
  if (repeated !== undefined) {
    throw unsupported(`Content-Type repeats the parameter ${repeated}`, [
      { header: 'content-type', parameter: repeated },
    ]);
  }

  if (headers['ce-specversion'] !== undefined) {
    return { mode: 'binary', candidates: [binaryModeEvent(headers, rawContentType, contentType, body)] };
  }

  const essence = contentType?.essence ?? PLAIN_JSON;
  if (essence !== STRUCTURED && essence !== BATCH && essence !== PLAIN_JSON) {
    throw unsupported(
      `Content-Type ${essence} is not supported: use ${STRUCTURED}, ${BATCH}, ${PLAIN_JSON} or binary mode (ce-* headers)`,
    );
  }
  const value = parseJsonBody(body, contentType);
  if (essence === STRUCTURED) {
    if (!isJsonObject(value)) {
      throw invalidRequest(
        `A ${STRUCTURED} body must be a JSON object (one event), not ${kindOf(value)}`,
        value,
      );
    }
    return { mode: 'structured', candidates: [value] };
  }
  if (essence === BATCH) {
    if (!Array.isArray(value)) {
      throw invalidRequest(`A ${BATCH} body must be a JSON array of events, not ${kindOf(value)}`, value);
    }
    return { mode: 'batch', candidates: checkBatchSize(value, limits.maxEventsPerRequest) };
  }
  if (isJsonObject(value)) return { mode: 'json', candidates: [value] };
  if (Array.isArray(value)) {
    return { mode: 'json', candidates: checkBatchSize(value, limits.maxEventsPerRequest) };
  }
  throw invalidRequest(
    `A JSON body must be an object (one event) or an array of events, not ${kindOf(value)}`,
    value,
  );
}

/** Binary mode: attributes from `ce-*` headers, datacontenttype from Content-Type, the body as data. */
function binaryModeEvent(
  headers: Record<string, string>,
  rawContentType: string | undefined,
  contentType: MediaType | undefined,
  body: Buffer,
): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    // An own property even for `ce-__proto__`, so the envelope check sees (and rejects) the name.
    if (name.startsWith('ce-') && name.length > 3) define(event, name.slice(3), percentDecode(value));
  }
  // Data travels in the body only; `ce-data*` headers are not attributes.
  delete event.data;
  delete event.data_base64;
  if (rawContentType !== undefined) event.datacontenttype = rawContentType;
  if (body.byteLength === 0) return event;

  const essence = contentType?.essence;
  if (essence === undefined || isJsonMediaType(essence)) {
    event.data = parseJsonBody(body, contentType);
  } else if (isTextMediaType(essence)) {
    const text = decodeText(body, contentType?.params.charset ?? 'utf-8');
    if (text === undefined) event.data_base64 = body.toString('base64');
    else event.data = text;
  } else {
    event.data_base64 = body.toString('base64');
  }
  return event;
}

/**
 * Header values are percent-decoded as the HTTP binding requires. SDKs that send raw values (a lone `%`,
 * non-UTF-8 escapes) are tolerated: anything that does not decode is kept as sent.
 */
function percentDecode(value: string): string {
  return value.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

function checkBatchSize(events: unknown[], max: number): unknown[] {
  if (events.length === 0) throw new ApiError(400, 'EmptyBatch', 'The batch holds no events');
  if (events.length > max) {
    throw new ApiError(413, 'TooManyEvents', `A request may carry at most ${max} events`, [
      { limit: max, count: events.length },
    ]);
  }
  return events;
}

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const kindOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

const invalidRequest = (message: string, value: unknown) =>
  new ApiError(400, 'InvalidRequest', message, [{ pointer: '', got: kindOf(value) }]);
const unsupported = (message: string, details: unknown[] = [{ header: 'content-type' }]) =>
  new ApiError(415, 'UnsupportedMediaType', message, details);

/** At most 200 characters of a header value in a message. */
const shown = (value: string): string => (value.length > 200 ? `${value.slice(0, 200)}…` : value);

const define = (target: Record<string, unknown>, name: string, value: unknown) =>
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });

/** Header names lowercased; repeated names (differing only in case) are joined with commas, as HTTP does. */
function lowercaseKeys(headers: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value !== 'string') continue;
    const key = name.toLowerCase();
    out[key] = key in out ? `${out[key]},${value}` : value;
  }
  return out;
}
