import { beforeEach, describe, expect, it, vi } from 'vitest';
import { gzipSync } from 'node:zlib';
import { mockClient } from 'aws-sdk-client-mock';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler, type PrepareJobInput } from '../../functions/prepare-job/handler';
import { lambdaContext } from './api-event';
import { memoryS3, type MemoryBucket } from './memory-s3';

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'sluice',
    BUCKET_NAME: 'bucket',
    MAX_UPLOAD_BYTES: '5000',
    MAX_CHUNKS_PER_JOB: '1000',
    MIN_CHUNK_BYTES: '100',
  });
});

const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBDocumentClient);
let bucket: MemoryBucket;

const JOB = '01JOBPREPARE0000000000000A';
const ARN = `arn:aws:states:us-east-1:000000000000:execution:ingest:${JOB}`;
const runningJob = { jobId: JOB, tenant: 'alice', source: 'upload', status: 'RUNNING' };
const event = (i: number) => ({
  specversion: '1.0',
  id: `e${i}`,
  source: 'urn:test',
  type: 'com.example.t',
  data: { i },
});
const line = (i: number) => JSON.stringify(event(i));

function input(source: 'api' | 'upload', key: string): PrepareJobInput {
  return { jobId: JOB, tenant: 'alice', executionArn: ARN, source, bucket: 'bucket', key };
}
const prepare = (source: 'api' | 'upload', key: string) => handler(input(source, key), lambdaContext);

/** Every chunk's lines put back at their submission indexes. */
function reassemble(chunks: { n: number; start: number }[]): string[] {
  const lines: string[] = [];
  for (const { n, start } of chunks) {
    bucket
      .text('bucket', `work/${JOB}/chunks/${n}.ndjson`)!
      .split('\n')
      .forEach((l, offset) => (lines[start + offset] = l));
  }
  return lines;
}

beforeEach(() => {
  s3.reset();
  ddb.reset();
  bucket = memoryS3(s3, { pieceBytes: 37 });
  ddb.on(UpdateCommand).resolves({ Attributes: runningJob });
});

describe('prepare-job', () => {
  it('marks the job RUNNING with its execution and submission, then chunks an API submission', async () => {
    const events = [0, 1, 2].map(event);
    bucket.put('bucket', `submissions/alice/${JOB}.json`, JSON.stringify(events));
    const out = await prepare('api', `submissions/alice/${JOB}.json`);

    const update = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(update.Key).toEqual({ pk: 'TENANT#alice', sk: `JOB#${JOB}` });
    expect(Object.values(update.ExpressionAttributeValues!)).toEqual(
      expect.arrayContaining(['RUNNING', ARN, { bucket: 'bucket', key: `submissions/alice/${JOB}.json` }]),
    );
    expect(out).toEqual({
      jobId: JOB,
      tenant: 'alice',
      executionArn: ARN,
      received: 3,
      chunks: expect.any(Array),
    });
    expect(reassemble(out.chunks)).toEqual(events.map((e) => JSON.stringify(e)));
  });

  it('cuts an NDJSON upload into chunks of about MIN_CHUNK_BYTES, blank and bad lines kept in place', async () => {
    const lines = [line(0), '', line(1), '{broken', line(2), line(3), '   ', line(4), line(5)];
    bucket.put('bucket', 'uploads/alice/f.ndjson', lines.join('\n') + '\n');
    const out = await prepare('upload', 'uploads/alice/f.ndjson');

    expect(out.received).toBe(7);
    expect(out.chunks.length).toBeGreaterThan(2);
    expect(out.chunks.map((c) => c.n)).toEqual(out.chunks.map((_, i) => i));
    expect(out.chunks[0]!.start).toBe(0);
    expect(reassemble(out.chunks)).toEqual(lines);
    // Every chunk but the last reached the target size (each line + its newline).
    for (const { n } of out.chunks.slice(0, -1)) {
      expect(
        Buffer.byteLength(bucket.text('bucket', `work/${JOB}/chunks/${n}.ndjson`)!) + 1,
      ).toBeGreaterThanOrEqual(100);
    }
  });

  it('reads a JSON array upload element by element', async () => {
    bucket.put('bucket', 'uploads/alice/f.json', ` [${line(0)},\n${line(1)}, 42]`);
    const out = await prepare('upload', 'uploads/alice/f.json');
    expect(out.received).toBe(3);
    expect(reassemble(out.chunks)).toEqual([line(0), line(1), '42']);
  });

  it('gunzips a .gz upload and plans chunks from the uncompressed size in the gzip trailer', async () => {
    const text = Array.from({ length: 40 }, (_, i) => line(i)).join('\n');
    const gz = gzipSync(text);
    expect(gz.length).toBeLessThan(text.length / 3);
    process.env.MIN_CHUNK_BYTES = '1';
    process.env.MAX_CHUNKS_PER_JOB = '4';
    try {
      bucket.put('bucket', 'uploads/alice/f.ndjson.gz', gz);
      const out = await prepare('upload', 'uploads/alice/f.ndjson.gz');
      expect(out.received).toBe(40);
      expect(out.chunks).toHaveLength(4); // planned from the compressed size, it would be about 4 × 3
      expect(reassemble(out.chunks)).toEqual(text.split('\n'));
      expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Range)).toContain('bytes=-4');
    } finally {
      process.env.MIN_CHUNK_BYTES = '100';
      process.env.MAX_CHUNKS_PER_JOB = '1000';
    }
  });

  it.each([
    ['an empty file', 'f.ndjson', ''],
    ['a whitespace-only file', 'f.ndjson', ' \n\n \n'],
    ['an empty JSON array', 'f.json', '[ ]'],
    ['an empty gzip file', 'f.ndjson.gz', gzipSync('')],
  ])('fails %s with EmptySubmission', async (_case, name, body) => {
    bucket.put('bucket', `uploads/alice/${name}`, body);
    await expect(prepare('upload', `uploads/alice/${name}`)).rejects.toMatchObject({
      name: 'EmptySubmission',
    });
  });

  it('fails a file that is neither NDJSON nor a JSON array with SubmissionUnreadable', async () => {
    bucket.put('bucket', 'uploads/alice/f.csv', 'id,source\n1,urn:x\n');
    await expect(prepare('upload', 'uploads/alice/f.csv')).rejects.toMatchObject({
      name: 'SubmissionUnreadable',
      message: 'expected NDJSON or a JSON array, found "i"',
    });
  });

  it('fails a broken JSON array with SubmissionUnreadable', async () => {
    bucket.put('bucket', 'uploads/alice/f.json', `[${line(0)}, {"id": ]`);
    await expect(prepare('upload', 'uploads/alice/f.json')).rejects.toMatchObject({
      name: 'SubmissionUnreadable',
      message: expect.stringMatching(/^invalid JSON array at or after element [01]: /),
    });
  });

  it('fails a .gz file that is not gzip with SubmissionUnreadable and zlib’s message', async () => {
    bucket.put('bucket', 'uploads/alice/broken.json.gz', 'this is not gzip');
    await expect(prepare('upload', 'uploads/alice/broken.json.gz')).rejects.toMatchObject({
      name: 'SubmissionUnreadable',
      message: 'invalid gzip: incorrect header check',
    });
  });

  it('fails a file over MAX_UPLOAD_BYTES with UploadTooLarge without reading it', async () => {
    bucket.put('bucket', 'uploads/alice/big.ndjson', 'x'.repeat(5001));
    await expect(prepare('upload', 'uploads/alice/big.ndjson')).rejects.toMatchObject({
      name: 'UploadTooLarge',
      message: 'the file is 5001 bytes; the limit is 5000 bytes',
    });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('fails with SubmissionUnreadable when the uploaded file is missing', async () => {
    await expect(prepare('upload', 'uploads/alice/none.ndjson')).rejects.toMatchObject({
      name: 'SubmissionUnreadable',
    });
  });

  it('fails with JobNotRunnable, reading nothing, when the job is already finished', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    ddb.on(GetCommand).resolves({ Item: { ...runningJob, status: 'FAILED' } });
    await expect(prepare('api', `submissions/alice/${JOB}.json`)).rejects.toMatchObject({
      name: 'JobNotRunnable',
      message: `job ${JOB} is FAILED and cannot become RUNNING`,
    });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('names a throttled S3 read TransientError so the workflow retries it', async () => {
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error('Please reduce your request rate'), {
        name: 'TooBusy',
        $metadata: { httpStatusCode: 503 },
      }),
    );
    await expect(prepare('api', `submissions/alice/${JOB}.json`)).rejects.toMatchObject({
      name: 'TransientError',
    });
  });
});
