/**
 * How AWS turns requests into billed units (pure; the meter and bench/cost.ts use these, the unit tests check
 * them against AWS's documented examples). Sizes are bytes; AWS's "KB" here is 1,024 bytes.
 */

export const KB = 1024;

/**
 * DynamoDB's capacity rules as CommonJS source (no imports): evaluated here for the typed exports below and in
 * dynalite's child process by the meter (meter/dynamodb-child.ts), so the counted units and the tested rules are
 * one text. Items are DynamoDB JSON; `sizeOf` is DynamoDB's item size (services/dynalite-limits.ts).
 * - writeUnits: 1 per 1 KB of the item, rounded up, at least 1.
 * - writeUnitsOf: a PutItem/UpdateItem/DeleteItem is sized by the larger of the item before and after.
 * - readUnits: 1 per 4 KB of the bytes read in one request (one GetItem item, the sum of a Query's items),
 *   rounded up, at least 1; eventually consistent reads cost half.
 * - indexWrites: the writes one table write makes on a global secondary index with projection ALL (an entry is
 *   about the item's size): the item gets the index's key attributes = 1 put; its key attributes change = a
 *   delete of the old entry + a put of the new one; it keeps them = 1 update (the larger entry); it loses them
 *   or is deleted = 1 delete; none otherwise. Returns [{partitionKey, units}].
 */
export const dynamoUnitsSource = `(() => {
  const KB = 1024;
  const writeUnits = (bytes) => Math.max(1, Math.ceil(bytes / KB));
  const writeUnitsOf = (oldBytes, newBytes) => writeUnits(Math.max(oldBytes || 0, newBytes || 0));
  const readUnits = (bytes, consistent) => {
    const units = Math.max(1, Math.ceil(bytes / (4 * KB)));
    return consistent ? units : units / 2;
  };
  const scalar = (value) => {
    for (const type in value) return type + ':' + String(value[type]);
    return '';
  };
  const keyOf = (item, index) => {
    if (!item || !item[index.partitionKey]) return undefined;
    if (index.sortKey && !item[index.sortKey]) return undefined;
    return scalar(item[index.partitionKey]) + '|' + (index.sortKey ? scalar(item[index.sortKey]) : '');
  };
  const pkValue = (item, index) => {
    const value = item[index.partitionKey];
    for (const type in value) return String(value[type]);
    return '';
  };
  const indexWrites = (index, oldItem, newItem, sizeOf) => {
    const before = keyOf(oldItem, index);
    const after = keyOf(newItem, index);
    if (before === undefined && after === undefined) return [];
    if (before !== undefined && before === after)
      return [{ partitionKey: pkValue(newItem, index), units: writeUnitsOf(sizeOf(oldItem), sizeOf(newItem)) }];
    const writes = [];
    if (before !== undefined) writes.push({ partitionKey: pkValue(oldItem, index), units: writeUnits(sizeOf(oldItem)) });
    if (after !== undefined) writes.push({ partitionKey: pkValue(newItem, index), units: writeUnits(sizeOf(newItem)) });
    return writes;
  };
  return { writeUnits, writeUnitsOf, readUnits, indexWrites };
})()`;

/** One index's key attributes. */
export interface IndexKeys {
  partitionKey: string;
  sortKey?: string;
}

export type DynamoItem = Record<string, Record<string, unknown>>;

interface DynamoUnits {
  writeUnits(itemBytes: number): number;
  writeUnitsOf(oldBytes: number | undefined, newBytes: number | undefined): number;
  readUnits(bytes: number, consistent: boolean): number;
  indexWrites(
    index: IndexKeys,
    oldItem: DynamoItem | undefined,
    newItem: DynamoItem | undefined,
    sizeOf: (item: DynamoItem) => number,
  ): { partitionKey: string; units: number }[];
}

export const { writeUnits, writeUnitsOf, readUnits, indexWrites } = new Function(
  `return ${dynamoUnitsSource};`,
)() as DynamoUnits;

/** SQS: each 64 KB chunk of a request's payload is billed as one request (a 256 KB payload = 4). */
export function sqsRequestUnits(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / (64 * KB)));
}

/** API Gateway HTTP APIs are metered in 512 KB increments of the request. */
export function apiGatewayRequestUnits(requestBytes: number): number {
  return Math.max(1, Math.ceil(requestBytes / (512 * KB)));
}

/** Lambda bills duration rounded up to the next millisecond. */
export function billedDurationMs(durationMs: number): number {
  return Math.max(1, Math.ceil(durationMs));
}

/** GB-seconds of `billedMs` at `memoryMb` (Lambda's GB is 1,024 MB). */
export function gbSeconds(billedMs: number, memoryMb: number): number {
  return (billedMs / 1000) * (memoryMb / 1024);
}

/** S3 request tiers: PUT/COPY/POST/LIST, GET/HEAD and everything else, DELETE (free). */
export type S3Tier = 'putCopyPostList' | 'getAndOther' | 'free';

export function s3Tier(operation: string): S3Tier {
  if (/^(DeleteObject|AbortMultipartUpload)$/.test(operation)) return 'free';
  if (
    /^(Put|Copy|Post|List|CreateMultipartUpload|UploadPart|CompleteMultipartUpload|DeleteObjects)/.test(
      operation,
    )
  )
    return 'putCopyPostList';
  return 'getAndOther';
}

/** The S3 operation of a REST request (path-style: /bucket/key), as s3rver serves it. */
export function s3Operation(
  method: string,
  path: string,
  query: Record<string, unknown>,
  copySource: boolean,
): string {
  const hasKey = path.replace(/^\/+/, '').includes('/') && !path.replace(/^\/+/, '').endsWith('/');
  const has = (name: string) => Object.hasOwn(query, name);
  switch (method) {
    case 'PUT':
      if (!hasKey) return 'PutBucket';
      if (has('partNumber')) return 'UploadPart';
      return copySource ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (has('uploads')) return 'CreateMultipartUpload';
      if (has('uploadId')) return 'CompleteMultipartUpload';
      if (has('delete')) return 'DeleteObjects';
      return 'PostObject';
    case 'GET':
      if (!hasKey)
        return has('list-type') ? 'ListObjectsV2' : has('uploads') ? 'ListMultipartUploads' : 'ListObjects';
      return has('uploadId') ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return hasKey ? 'HeadObject' : 'HeadBucket';
    case 'DELETE':
      return has('uploadId') ? 'AbortMultipartUpload' : hasKey ? 'DeleteObject' : 'DeleteBucket';
    default:
      return method;
  }
}
