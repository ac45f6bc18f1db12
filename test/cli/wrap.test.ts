import { describe, expect, it } from 'vitest';
import { isCloudEvent, wrapAsCloudEvent, wrapRawValues } from '../../cli/events/wrap';

const deps = (() => {
  let n = 0;
  return { newId: () => `id-${++n}`, now: () => new Date('2030-01-02T03:04:05.678Z') };
})();

describe('CloudEvent wrapping', () => {
  it('treats values with specversion as CloudEvents', () => {
    expect(isCloudEvent({ specversion: '1.0' })).toBe(true);
    expect(isCloudEvent({ id: '1', type: 't' })).toBe(false);
    expect(isCloudEvent([{ specversion: '1.0' }])).toBe(false);
    expect(isCloudEvent(null)).toBe(false);
  });

  it('wraps a raw value as the data of a CloudEvents 1.0 event', () => {
    expect(
      wrapAsCloudEvent({ temp: 21 }, { type: 'com.example.reading', source: '/sensors/1' }, deps),
    ).toEqual({
      specversion: '1.0',
      id: 'id-1',
      source: '/sensors/1',
      type: 'com.example.reading',
      time: '2030-01-02T03:04:05.678Z',
      datacontenttype: 'application/json',
      data: { temp: 21 },
    });
  });

  it('gives every wrapped event its own id and leaves CloudEvents untouched', () => {
    const existing = { specversion: '1.0', id: 'keep', source: '/s', type: 't' };
    const result = wrapRawValues([{ a: 1 }, existing, 'text'], { type: 't', source: '/s' }, deps) as {
      id: string;
      data?: unknown;
    }[];
    expect(result[1]).toBe(existing);
    expect(result[0]).toMatchObject({ id: 'id-2', data: { a: 1 } });
    expect(result[2]).toMatchObject({ id: 'id-3', data: 'text' });
  });

  it('uses random UUIDs by default', () => {
    const [a, b] = wrapRawValues([1, 2], { type: 't', source: '/s' }) as { id: string }[];
    expect(a!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a!.id).not.toBe(b!.id);
  });
});
