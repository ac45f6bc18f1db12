import { describe, expect, it } from 'vitest';
import { settingsFromEnvironment } from '../../local/cloud';
import { planPorts } from '../../local/services/ports';
import { messageIdOfReceiptHandle, replay } from '../../local/services/sqs-journal';

describe('local cloud configuration', () => {
  it('reads SLUICE_<SETTING> overrides and ignores other variables', () => {
    expect(
      settingsFromEnvironment({ SLUICE_MAXREQUESTBYTES: '10485760', SLUICE_OTHER: '1', MAXEVENTBYTES: '2' }),
    ).toEqual({
      maxRequestBytes: '10485760',
    });
  });

  it('plans fixed ports from the base, and free or previously used ports otherwise', () => {
    const fixed = planPorts('fixed', 5000, { api: 1234 });
    expect(fixed.api).toEqual({ port: 5000, fixed: true });
    expect(fixed.secretsManager).toEqual({ port: 5007, fixed: true });
    const ephemeral = planPorts('ephemeral', 5000, { api: 1234 });
    expect(ephemeral.api).toEqual({ port: 1234, fixed: false });
    expect(ephemeral.cdn).toEqual({ port: 0, fixed: false });
  });
});

describe('SQS journal', () => {
  const put = (id: string, queue = 'q') => ({
    op: 'put' as const,
    queue,
    id,
    body: id,
    sentTimestamp: 1,
    delaySeconds: 0,
    receiveCount: 0,
  });

  it('keeps what was put and not deleted; a later put (a dead-letter move) wins', () => {
    const live = replay([put('a'), put('b'), put('c'), { op: 'delete', id: 'b' }, put('c', 'dlq')]);
    expect([...live.values()].map((entry) => [entry.id, entry.queue])).toEqual([
      ['a', 'q'],
      ['c', 'dlq'],
    ]);
  });

  it('drops a purged queue only', () => {
    const live = replay([put('a'), put('b', 'dlq'), { op: 'clear', queue: 'q' }, put('c')]);
    expect([...live.keys()]).toEqual(['b', 'c']);
  });

  it('reads the message id out of a local-aws-sqs receipt handle', () => {
    const handle = Buffer.from(
      `uuid-${JSON.stringify({ date: 1, MessageId: 'm-1', QueueName: 'q' })}`,
    ).toString('base64');
    expect(messageIdOfReceiptHandle(handle)).toBe('m-1');
    expect(messageIdOfReceiptHandle('not a handle')).toBeUndefined();
  });
});
