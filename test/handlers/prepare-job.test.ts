import { beforeEach, describe, expect, it, vi } from 'vitest';
import { gzipSync } from 'node:zlib';
import { mockClient } from 'aws-sdk-client-mock';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler, type PrepareJobInput } from '../../functions/prepare-job/handler';
import { lambdaContext } from './api-event';
import { jobKey } from '../../shared/aws/stores/jobs';
import { memoryS3, type MemoryBucket } from './memory-s3';

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'sluice',
    BUCKET_NAME: 'bucket',
    MAX_UPLOAD_BYTES: '5000',
    MAX_UNCOMPRESSED_BYTES: '20000',
    MAX_EVENT_BYTES: '1000',
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

const chunkText = (n: number) => bucket.text('bucket', `work/${JOB}/chunks/${n}.ndjson`)!;

/** Runs `body` with some settings changed, then puts them back. */
async function withEnv(vars: Record<string, string>, body: () => Promise<void>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  try {
    await body();
  } finally {
    Object.assign(process.env, saved);
  }
}

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
    expect(update.Key).toEqual(jobKey('alice', JOB, 8));
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
    await withEnv({ MIN_CHUNK_BYTES: '1', MAX_CHUNKS_PER_JOB: '4' }, async () => {
      bucket.put('bucket', 'uploads/alice/f.ndjson.gz', gz);
      const out = await prepare('upload', 'uploads/alice/f.ndjson.gz');
      expect(out.received).toBe(40);
      // The trailer's size (not the compressed one) over the 2 chunks not kept in reserve (planChunks).
      expect(out.chunks).toHaveLength(2);
      expect(chunkText(0).length + 1).toBeGreaterThanOrEqual(text.length / 2);
      expect(reassemble(out.chunks)).toEqual(text.split('\n'));
      expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Range)).toContain('bytes=-4');
    });
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

  describe('hostile files (MAX_UPLOAD_BYTES 5000, MAX_UNCOMPRESSED_BYTES 20000, MAX_EVENT_BYTES 1000)', () => {
    it('fails a gzip bomb with UploadTooLarge, having written no chunk', async () => {
      const bomb = gzipSync(Buffer.concat([Buffer.from(line(0) + '\n'), Buffer.alloc(4 * 1024 * 1024, ' ')]));
      expect(bomb.length).toBeLessThan(5000);
      bucket.put('bucket', 'uploads/alice/bomb.ndjson.gz', bomb);
      await expect(prepare('upload', 'uploads/alice/bomb.ndjson.gz')).rejects.toMatchObject({
        name: 'UploadTooLarge',
        message: 'the file decompresses to more than 20000 bytes',
      });
      expect([...bucket.objects.keys()].filter((k) => k.includes('/chunks/'))).toEqual([]);
    });

    it('fails a bomb of many small members the same way (the trailer estimate only sees the last)', async () => {
      const member = gzipSync(Buffer.alloc(64 * 1024, '\n'));
      bucket.put('bucket', 'uploads/alice/bomb.json.gz', Buffer.concat([gzipSync('[1,'), member, member]));
      await expect(prepare('upload', 'uploads/alice/bomb.json.gz')).rejects.toMatchObject({
        name: 'UploadTooLarge',
      });
    });

    it('reads a multi-member gzip whole, never passing MAX_CHUNKS_PER_JOB though the trailer lies', async () => {
      const lines = Array.from({ length: 200 }, (_, i) => line(i));
      const members = Buffer.concat([
        gzipSync(lines.slice(0, 199).join('\n') + '\n'),
        gzipSync(lines[199]!), // the trailer read for planning describes only this member
      ]);
      await withEnv({ MIN_CHUNK_BYTES: '1', MAX_CHUNKS_PER_JOB: '5' }, async () => {
        bucket.put('bucket', 'uploads/alice/multi.ndjson.gz', members);
        const out = await prepare('upload', 'uploads/alice/multi.ndjson.gz');
        expect(out.received).toBe(200);
        expect(out.chunks.length).toBeLessThanOrEqual(5);
        expect(reassemble(out.chunks)).toEqual(lines);
      });
    });

    it('makes at most MAX_CHUNKS_PER_JOB (5) chunks of a large plain upload, with output far under 256 KiB', async () => {
      const lines = Array.from({ length: 50 }, (_, i) => line(i));
      await withEnv({ MIN_CHUNK_BYTES: '1', MAX_CHUNKS_PER_JOB: '5' }, async () => {
        bucket.put('bucket', 'uploads/alice/many.ndjson', lines.join('\n'));
        const out = await prepare('upload', 'uploads/alice/many.ndjson');
        expect(out.chunks.length).toBeGreaterThan(1);
        expect(out.chunks.length).toBeLessThanOrEqual(5);
        expect(reassemble(out.chunks)).toEqual(lines);
        expect(Buffer.byteLength(JSON.stringify(out))).toBeLessThan(1024);
      });
    });

    it.each([
      ['not gzip at all', 'this is not gzip', 'invalid gzip: incorrect header check'],
      [
        'truncated',
        gzipSync(line(0) + '\n' + line(1)).subarray(0, 30),
        'invalid gzip: unexpected end of file',
      ],
    ])('fails a .gz file that is %s with SubmissionUnreadable', async (_case, body, message) => {
      bucket.put('bucket', 'uploads/alice/f.ndjson.gz', body);
      await expect(prepare('upload', 'uploads/alice/f.ndjson.gz')).rejects.toMatchObject({
        name: 'SubmissionUnreadable',
        message,
      });
    });

    it('pre-rejects a huge line, invalid UTF-8 and a forged "!" line, in place, keeping the others', async () => {
      const body = Buffer.concat([
        Buffer.from('\ufeff' + line(0) + '\r\n'), // a BOM, CRLF
        Buffer.from(`{"data":"${'x'.repeat(3000)}"}\n`),
        Buffer.from('{"id":"'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}\n!id: forged\n\n'),
        Buffer.from(line(1)), // no final newline
      ]);
      bucket.put('bucket', 'uploads/alice/f.ndjson', body);
      const out = await prepare('upload', 'uploads/alice/f.ndjson');
      expect(out.received).toBe(5);
      const lines = reassemble(out.chunks);
      expect(lines.slice(0, 3)).toEqual([
        line(0),
        '!event: larger than 1000 bytes serialized',
        '!event: not valid UTF-8',
      ]);
      expect(lines[3]).toMatch(/^!event: not valid JSON \(/);
      expect(lines.slice(4)).toEqual(['', line(1)]);
    });

    it('pre-rejects too-deep and too-large JSON array elements, in place', async () => {
      const deep = '['.repeat(1001) + ']'.repeat(1001);
      bucket.put(
        'bucket',
        'uploads/alice/f.json',
        `[${line(0)}, ${deep}, "${'y'.repeat(1500)}", ${line(1)}]`,
      );
      const out = await prepare('upload', 'uploads/alice/f.json');
      expect(reassemble(out.chunks)).toEqual([
        line(0),
        '!event: nested deeper than 1000 levels',
        '!event: larger than 1000 bytes serialized',
        line(1),
      ]);
    });

    it('gives API submissions the same element checks', async () => {
      const deep = '['.repeat(1500) + ']'.repeat(1500);
      bucket.put('bucket', `submissions/alice/${JOB}.json`, `[${line(0)},${deep}]`);
      const out = await prepare('api', `submissions/alice/${JOB}.json`);
      expect(reassemble(out.chunks)).toEqual([line(0), '!event: nested deeper than 1000 levels']);
    });
  });
});
