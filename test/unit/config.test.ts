import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { intVar, readEnv, textVar } from '../../shared/config';

const shape = { TABLE_NAME: z.string().min(1), MAX_REQUEST_BYTES: intVar, QUEUE_URL: z.url() };

describe('readEnv', () => {
  it('returns typed values, numbers coerced, other variables ignored', () => {
    const env = readEnv(shape, {
      TABLE_NAME: 'sluice',
      MAX_REQUEST_BYTES: '5242880',
      QUEUE_URL: 'http://127.0.0.1:9324/000000000000/ingest',
      PATH: '/usr/bin',
    });
    expect(env).toEqual({
      TABLE_NAME: 'sluice',
      MAX_REQUEST_BYTES: 5242880,
      QUEUE_URL: 'http://127.0.0.1:9324/000000000000/ingest',
    });
  });

  it('names every missing or invalid variable at once', () => {
    let message = '';
    try {
      readEnv(shape, { MAX_REQUEST_BYTES: '-3', QUEUE_URL: 'not a url' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/TABLE_NAME is not set/);
    expect(message).toMatch(/MAX_REQUEST_BYTES is invalid/);
    expect(message).toMatch(/QUEUE_URL is invalid/);
  });

  it.each(['0', '1.5', 'ten', ''])('intVar rejects %j', (raw) => {
    expect(intVar.safeParse(raw).success).toBe(false);
  });

  it('textVar takes a non-empty string only', () => {
    expect(textVar.safeParse('sluice').success).toBe(true);
    expect(textVar.safeParse('').success).toBe(false);
    expect(readEnv({ TABLE_NAME: textVar }, { TABLE_NAME: 't' })).toEqual({ TABLE_NAME: 't' });
  });
});
