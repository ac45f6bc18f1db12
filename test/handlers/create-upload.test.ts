import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../functions/create-upload/handler';
import { apiEvent, lambdaContext, parsed } from './api-event';
import { jobKey } from '../../shared/aws/stores/jobs';

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'sluice',
    QUEUE_URL: 'https://sqs.example/ingest',
    CDN_URL: 'https://cdn.example.net/',
    SIGNING_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:signing',
    SIGNING_KEY_PAIR_ID: 'K2TESTKEYPAIR',
    UPLOAD_URL_TTL_SECONDS: '600',
    UPLOAD_GRACE_SECONDS: '60',
    MAX_UPLOAD_BYTES: '1048576',
  });
});

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBDocumentClient);
const secrets = mockClient(SecretsManagerClient);

const NOW = '2026-03-01T12:00:00.750Z';
const EXPIRES_AT = '2026-03-01T12:10:00.000Z'; // whole second + 600 s TTL

const post = (body: string, tenant: string | null = 'alice') =>
  handler(apiEvent('POST /uploads', { tenant, body }), lambdaContext).then(parsed);

/** CloudFront's canned policy, exactly as AWS documents it, and the URL-safe base64 of its signature. */
function verifyCannedSignature(resource: string, expires: string, signature: string): boolean {
  const policy = `{"Statement":[{"Resource":"${resource}","Condition":{"DateLessThan":{"AWS:EpochTime":${expires}}}}]}`;
  const standard = signature.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/');
  return createVerify('RSA-SHA1').update(policy).verify(publicKey, standard, 'base64');
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(NOW));
  for (const mock of [sqs, ddb]) mock.reset();
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  secrets.on(GetSecretValueCommand).resolves({ SecretString: pem });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('POST /uploads', () => {
  it('opens a PENDING_UPLOAD job with a CloudFront URL signed for exactly its key', async () => {
    const result = await post(
      JSON.stringify({ filename: 'my events (1).ndjson', contentType: 'application/x-ndjson' }),
    );

    expect(result.status).toBe(201);
    const { jobId, uploadUrl } = result.body;
    expect(result.body).toEqual({
      jobId: expect.any(String),
      uploadUrl: expect.any(String),
      method: 'PUT',
      expiresAt: EXPIRES_AT,
    });

    const url = new URL(uploadUrl);
    const resource = `https://cdn.example.net/uploads/alice/${jobId}/my_events__1_.ndjson`;
    expect(`${url.origin}${url.pathname}`).toBe(resource);
    const expires = url.searchParams.get('Expires')!;
    expect(Number(expires)).toBe(Date.parse(EXPIRES_AT) / 1000);
    expect(url.searchParams.get('Key-Pair-Id')).toBe('K2TESTKEYPAIR');
    const signature = url.searchParams.get('Signature')!;
    expect(verifyCannedSignature(resource, expires, signature)).toBe(true);
    // The signature covers the key: the same signature does not hold for another file.
    expect(verifyCannedSignature(resource.replace('my_events', 'other'), expires, signature)).toBe(false);

    expect(ddb.commandCalls(PutCommand)[0]!.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        ...jobKey('alice', jobId, 8),
        jobId,
        tenant: 'alice',
        source: 'upload',
        status: 'PENDING_UPLOAD',
        filename: 'my_events__1_.ndjson',
        uploadExpiresAt: EXPIRES_AT,
        counts: { received: 0, accepted: 0, rejected: 0, duplicates: 0 },
        errors: [],
        createdAt: NOW,
      },
    });
    expect(secrets.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({
      SecretId: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:signing',
    });
  });

  it('queues the upload deadline, delayed by TTL + grace', async () => {
    const { body } = await post(JSON.stringify({ filename: 'a.ndjson' }));
    const message = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(message).toMatchObject({ QueueUrl: 'https://sqs.example/ingest', DelaySeconds: 660 });
    expect(JSON.parse(message.MessageBody!)).toEqual({
      kind: 'upload-deadline',
      jobId: body.jobId,
      tenant: 'alice',
      expiresAt: EXPIRES_AT,
    });
  });

  it('reads the signing key once per container, and again after a failed read', async () => {
    vi.resetModules();
    const fresh = (await import('../../functions/create-upload/handler')).handler;
    const call = () =>
      fresh(apiEvent('POST /uploads', { body: '{"filename":"a"}' }), lambdaContext).then(parsed);
    secrets.reset();
    secrets.on(GetSecretValueCommand).rejectsOnce(new Error('access denied')).resolves({ SecretString: pem });

    expect((await call()).status).toBe(500);
    expect((await call()).status).toBe(201);
    expect((await call()).status).toBe(201);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it.each([
    ['not JSON', '{"filename":', 400, 'InvalidJson', undefined],
    ['not an object', '"a.ndjson"', 400, 'InvalidRequest', undefined],
    ['without a filename', '{}', 400, 'InvalidRequest', 'filename'],
    ['with an empty filename', '{"filename":""}', 400, 'InvalidRequest', 'filename'],
    ['with a filename that is not a string', '{"filename":7}', 400, 'InvalidRequest', 'filename'],
    [
      'with a filename over 200 characters',
      JSON.stringify({ filename: 'x'.repeat(201) }),
      400,
      'InvalidRequest',
      'filename',
    ],
    [
      'with a contentType that is not a string',
      '{"filename":"a","contentType":1}',
      400,
      'InvalidRequest',
      'contentType',
    ],
  ])('refuses a body %s', async (_what, body, status, code, field) => {
    const result = await post(body);
    expect(result.status).toBe(status);
    expect(result.body.error.code).toBe(code);
    if (field) expect(result.body.error.details).toContainEqual(expect.objectContaining({ field }));
    expect(ddb.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('refuses a request without an authenticated caller', async () => {
    expect((await post('{"filename":"a"}', null)).status).toBe(401);
  });

  it('fails the job (EnqueueFailed) when the deadline cannot be queued, and answers 500', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('queue unavailable'));
    const result = await post(JSON.stringify({ filename: 'a.ndjson' }));
    expect(result.status).toBe(500);
    const update = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(update.ExpressionAttributeValues).toMatchObject({ ':to': 'FAILED' });
    expect(Object.values(update.ExpressionAttributeValues!)).toContainEqual(
      expect.objectContaining({ error: 'EnqueueFailed' }),
    );
  });
});
