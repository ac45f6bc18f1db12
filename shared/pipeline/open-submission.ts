/**
 * A job's submission in S3 → its lines and the size chunk planning works from. API submissions are the JSON
 * array submit-events wrote; uploads are checked for size and read as NDJSON or a JSON array, gunzipped when
 * the key ends in `.gz`. For gzip the planning size is the gzip trailer's estimate, capped at
 * `maxUncompressedBytes`: it only describes the last member and wraps at 4 GiB, so writeChunks does not trust it.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { getStream, getTail, head } from '../aws/stores/objects';
import { gzipUncompressedSize } from '../jobs/chunking';
import { s3 } from '../aws/clients';
import { TaskError } from './errors';
import { jsonArrayLines, uploadLines, type ReaderLimits } from './submission';

export interface SubmissionRef {
  source: 'api' | 'upload';
  bucket: string;
  key: string;
}

export interface OpenedSubmission {
  lines: AsyncIterable<string>;
  /** Bytes of source text (uncompressed), as far as known before reading: an estimate for gzip. */
  sourceBytes: number;
}

export interface SubmissionLimits extends ReaderLimits {
  maxUploadBytes: number;
}

const GZIP_TRAILER_SIZE_BYTES = 4;

export async function openSubmission(
  { source, bucket, key }: SubmissionRef,
  limits: SubmissionLimits,
  client: S3Client = s3(),
): Promise<OpenedSubmission> {
  const { maxUploadBytes, maxUncompressedBytes } = limits;
  if (source === 'api') {
    const { body, size } = await getStream(bucket, key, client);
    return { lines: jsonArrayLines(body, limits), sourceBytes: size };
  }
  const object = await head(bucket, key, client);
  if (!object) throw new TaskError('SubmissionUnreadable', `the uploaded file ${key} does not exist`);
  const gzipped = /\.gz$/i.test(key);
  const limit = gzipped ? maxUploadBytes : Math.min(maxUploadBytes, maxUncompressedBytes);
  if (object.size > limit) {
    throw new TaskError('UploadTooLarge', `the file is ${object.size} bytes; the limit is ${limit} bytes`);
  }
  if (object.size === 0) throw new TaskError('EmptySubmission', 'the file is empty');
  const sourceBytes =
    gzipped && object.size >= GZIP_TRAILER_SIZE_BYTES
      ? Math.min(
          maxUncompressedBytes,
          gzipUncompressedSize(await getTail(bucket, key, GZIP_TRAILER_SIZE_BYTES, client), object.size),
        )
      : object.size;
  const { body } = await getStream(bucket, key, client);
  return { lines: uploadLines(body, { gzipped, ...limits }), sourceBytes };
}
