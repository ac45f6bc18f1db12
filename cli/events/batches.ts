import { CliError } from '../errors';

export interface BatchLimits {
  maxEvents: number;
  maxBytes: number;
}

/** Under the API's default 10,000 events and 4 MiB per request (maxRequestBytes), with 10% headroom. */
export const apiBatchLimits: BatchLimits = { maxEvents: 10_000, maxBytes: 3_774_873 };

export interface Batch {
  /** A JSON array, ready to post as `application/cloudevents-batch+json`. */
  body: string;
  /** Index of the batch's first event in the input. */
  start: number;
  count: number;
}

/**
 * Splits events into request bodies, each within both limits, keeping the input order. Every event is
 * serialized once; the body size is counted in UTF-8 bytes, brackets and commas included.
 */
export function planBatches(events: readonly unknown[], limits: BatchLimits = apiBatchLimits): Batch[] {
  const batches: Batch[] = [];
  let parts: string[] = [];
  let bytes = 2;
  let start = 0;
  const close = () => {
    batches.push({ body: `[${parts.join(',')}]`, start, count: parts.length });
    start += parts.length;
    parts = [];
    bytes = 2;
  };
  events.forEach((event, index) => {
    const part = JSON.stringify(event) ?? 'null';
    const size = Buffer.byteLength(part);
    if (size + 2 > limits.maxBytes) {
      throw new CliError(
        `event ${index} is ${size} bytes serialized, more than one request may carry (${limits.maxBytes})`,
      );
    }
    const added = size + (parts.length > 0 ? 1 : 0);
    if (parts.length > 0 && (parts.length >= limits.maxEvents || bytes + added > limits.maxBytes)) close();
    bytes += size + (parts.length > 0 ? 1 : 0);
    parts.push(part);
  });
  if (parts.length > 0) close();
  return batches;
}
