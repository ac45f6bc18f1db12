/**
 * A job's submission in S3 → its lines and the size chunk planning works from. API submissions are the JSON
 * array submit-events wrote; uploads are checked for size and read as NDJSON or a JSON array, gunzipped when
 * the key ends in `.gz` (the planning size is then the uncompressed size from the gzip trailer).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { getStream, getTail, head } from '../aws/stores/objects';
import { gzipUncompressedSize } from '../jobs/chunking';
import { s3 } from '../aws/clients';
import { TaskError } from './errors';
import { jsonArrayLines, uploadLines } from './submission';

export interface SubmissionRef {
  source: 'api' | 'upload';
  bucket: string;
  key: string;
}

export interface OpenedSubmission {
  lines: AsyncIterable<string>;
  /** Bytes of source text (uncompressed). */
  sourceBytes: number;
}

const GZIP_TRAILER_SIZE_BYTES = 4;

export async function openSubmission(
  { source, bucket, key }: SubmissionRef,
  { maxUploadBytes }: { maxUploadBytes: number },
  client: S3Client = s3(),
): Promise<OpenedSubmission> {
  if (source === 'api') {
    const { body, size } = await getStream(bucket, key, client);
    return { lines: jsonArrayLines(body), sourceBytes: size };
  }
  const object = await head(bucket, key, client);
  if (!object) throw new TaskError('SubmissionUnreadable', `the uploaded file ${key} does not exist`);
  if (object.size > maxUploadBytes) {
    throw new TaskError(
      'UploadTooLarge',
      `the file is ${object.size} bytes; the limit is ${maxUploadBytes} bytes`,
    );
  }
  if (object.size === 0) throw new TaskError('EmptySubmission', 'the file is empty');
  const gzipped = /\.gz$/i.test(key);
  const sourceBytes =
    gzipped && object.size >= GZIP_TRAILER_SIZE_BYTES
      ? gzipUncompressedSize(await getTail(bucket, key, GZIP_TRAILER_SIZE_BYTES, client), object.size)
      : object.size;
  const { body } = await getStream(bucket, key, client);
  return { lines: uploadLines(body, { gzipped }), sourceBytes };
}
