import { describe, expect, it } from 'vitest';
import { ThrottlingException } from '@aws-sdk/client-dynamodb';
import { isInfrastructureError, retryable, TaskError } from '../../shared/pipeline/errors';

const sdkError = (name: string, httpStatusCode: number, extra: object = {}) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode }, ...extra });

describe('retryable', () => {
  it('keeps errors the workflow already retries by name', () => {
    const throttled = new ThrottlingException({ message: 'slow down', $metadata: { httpStatusCode: 400 } });
    expect(retryable(throttled)).toBe(throttled);
    const slowDown = sdkError('SlowDown', 503);
    expect(retryable(slowDown)).toBe(slowDown);
  });

  it.each([
    ['an unnamed 5xx', sdkError('BadGateway', 502)],
    ['a 429', sdkError('TooManyRequestsException', 429)],
    [
      'a throttling error the service marks retryable',
      sdkError('LimitExceededException', 400, { $retryable: { throttling: true } }),
    ],
    ['a reset socket', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['a DNS hiccup', Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' })],
  ])('names %s TransientError, keeping the message and cause', (_case, error) => {
    const mapped = retryable(error) as TaskError;
    expect(mapped).toBeInstanceOf(TaskError);
    expect(mapped.name).toBe('TransientError');
    expect(mapped.message).toBe(error.message);
    expect(mapped.cause).toBe(error);
  });

  it('leaves fatal errors alone', () => {
    const fatal = new TaskError('SubmissionUnreadable', 'broken');
    const validation = sdkError('ValidationException', 400);
    const bug = new TypeError('x is undefined');
    expect(retryable(fatal)).toBe(fatal);
    expect(retryable(validation)).toBe(validation);
    expect(retryable(bug)).toBe(bug);
  });
});

describe('isInfrastructureError', () => {
  it.each([
    ['throttling', new ThrottlingException({ message: 'slow down', $metadata: { httpStatusCode: 400 } })],
    ['provisioned throughput', sdkError('ProvisionedThroughputExceededException', 400)],
    ['request limit', sdkError('RequestLimitExceeded', 400)],
    ['a 500', sdkError('InternalServerError', 500)],
    ['an unnamed 503', sdkError('Whatever', 503)],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['a socket error', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['a missing table', sdkError('ResourceNotFoundException', 400)],
  ])('%s is infrastructure', (_case, error) => {
    expect(isInfrastructureError(error)).toBe(true);
  });

  it.each([
    ['a key or item too large', sdkError('ValidationException', 400)],
    ['a bug', new TypeError('x is undefined')],
    ['a thrown string', 'oops'],
  ])('%s is the event’s own', (_case, error) => {
    expect(isInfrastructureError(error)).toBe(false);
  });
});
