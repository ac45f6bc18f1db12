import { describe, expect, it } from 'vitest';
import {
  admitMessageBody,
  decodeS3Key,
  inlineSubmissionBody,
  isInline,
  jobRefOf,
  readQueueMessage,
  secondsUntilDue,
  uploadFromKey,
} from '../../shared/api/queue-messages';

describe('queue messages', () => {
  it('reads admit messages, and only with a tenant', () => {
    expect(readQueueMessage(admitMessageBody('alice'))).toEqual({ kind: 'admit', tenant: 'alice' });
    expect(() => readQueueMessage('{"kind":"admit"}')).toThrow(/invalid admit message: tenant/);
    expect(() => readQueueMessage('{"kind":"admit","tenant":"a","jobId":"j"}')).toThrow(/invalid admit/);
    expect(jobRefOf(admitMessageBody('alice'))).toBeUndefined();
  });

  it('reads submissions and upload deadlines', () => {
    const submission = { kind: 'submission', jobId: 'J', tenant: 'T', bucket: 'B', key: 'K' };
    expect(readQueueMessage(JSON.stringify(submission))).toEqual(submission);
    const deadline = {
      kind: 'upload-deadline',
      jobId: 'J',
      tenant: 'T',
      expiresAt: '2026-01-01T00:15:00.000Z',
    };
    expect(readQueueMessage(JSON.stringify(deadline))).toEqual(deadline);
  });

  it('reads inline submissions, built around the events text, and refuses half-inline ones', () => {
    const events = [{ id: 'e1', data: { deep: [[{}]] } }, 'not even an object'];
    const body = inlineSubmissionBody({ jobId: 'J', tenant: 'T' }, JSON.stringify(events));
    expect(JSON.parse(body)).toEqual({ kind: 'submission', jobId: 'J', tenant: 'T', events });
    const message = readQueueMessage(body);
    expect(message).toEqual({ kind: 'submission', jobId: 'J', tenant: 'T', events });
    expect(isInline(message)).toBe(true);
    expect(
      isInline(
        readQueueMessage(
          JSON.stringify({ kind: 'submission', jobId: 'J', tenant: 'T', bucket: 'B', key: 'K' }),
        ),
      ),
    ).toBe(false);
    expect(() => readQueueMessage('{"kind":"submission","jobId":"J","tenant":"T","events":[]}')).toThrow(
      /invalid inline submission message: events/,
    );
    expect(() => readQueueMessage('{"kind":"submission","jobId":"J","tenant":"T","events":{}}')).toThrow(
      /events/,
    );
    expect(() =>
      readQueueMessage('{"kind":"submission","jobId":"J","tenant":"T","events":[1],"bucket":"B","key":"K"}'),
    ).toThrow(/bucket/);
  });

  it('says which fields a malformed message lacks', () => {
    expect(() => readQueueMessage('{"kind":"submission","jobId":"J","tenant":"T"}')).toThrow(/bucket.*key/);
    expect(() =>
      readQueueMessage('{"kind":"upload-deadline","jobId":"J","tenant":"T","expiresAt":"soon"}'),
    ).toThrow(/expiresAt/);
    expect(() => readQueueMessage('[1]')).toThrow(/JSON object/);
    expect(() => readQueueMessage('{"kind":"other"}')).toThrow(/unknown message kind "other"/);
  });

  it('reads S3 notifications: upload keys decoded, everything else ignored', () => {
    const body = JSON.stringify({
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'b' }, object: { key: 'uploads/t/J/a+b%2B.json' } },
        },
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Copy',
          s3: { bucket: { name: 'b' }, object: { key: 'web/index.html' } },
        },
      ],
    });
    expect(readQueueMessage(body)).toEqual({
      kind: 'uploads',
      uploads: [{ tenant: 't', jobId: 'J', bucket: 'b', key: 'uploads/t/J/a b+.json' }],
      ignored: ['ObjectCreated:Copy web/index.html'],
    });
    expect(readQueueMessage('{"Service":"Amazon S3","Event":"s3:TestEvent"}')).toEqual({ kind: 's3-test' });
  });

  it('takes only uploads/<tenant>/<jobId>/<file> as a job file', () => {
    expect(decodeS3Key('a+b%20c%2Bd')).toBe('a b c+d');
    expect(uploadFromKey('b', 'uploads/t/J/f')).toEqual({
      tenant: 't',
      jobId: 'J',
      bucket: 'b',
      key: 'uploads/t/J/f',
    });
    for (const key of ['uploads/t/J', 'uploads/t/J/d/f', 'uploads//J/f', 'other/t/J/f']) {
      expect(uploadFromKey('b', key)).toBeUndefined();
    }
  });

  it('finds the job of a message it cannot otherwise read', () => {
    expect(jobRefOf('{"kind":"submission","jobId":"J","tenant":"T"}')).toEqual({ tenant: 'T', jobId: 'J' });
    expect(jobRefOf('{"jobId":"J"}')).toBeUndefined();
    expect(jobRefOf('null')).toBeUndefined();
    expect(jobRefOf('nope')).toBeUndefined();
  });

  it('counts the seconds until expiry plus grace', () => {
    const expiresAt = '2026-01-01T00:15:00.000Z';
    expect(secondsUntilDue(expiresAt, 60, Date.parse('2026-01-01T00:15:00.000Z'))).toBe(60);
    expect(secondsUntilDue(expiresAt, 60, Date.parse('2026-01-01T00:15:59.500Z'))).toBe(1);
    expect(secondsUntilDue(expiresAt, 60, Date.parse('2026-01-01T00:16:00.000Z'))).toBeLessThanOrEqual(0);
  });
});
