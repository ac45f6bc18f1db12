/** The hostile corpus's size, as the issue asks for it (≥ 100 cases, by kind), and that every case is named once. */
import { describe, expect, it } from 'vitest';
import { cdnCases } from './cases/cdn';
import { eventCases } from './cases/events';
import { fileCases } from './cases/files';
import { requestCases } from './cases/requests';

describe('the hostile corpus', () => {
  it('has at least 35 request-level, 40 per-event and 25 file cases, over 100 in all', () => {
    expect(requestCases.length).toBeGreaterThanOrEqual(35);
    expect(eventCases.length).toBeGreaterThanOrEqual(40);
    expect(fileCases.length).toBeGreaterThanOrEqual(25);
    expect(
      requestCases.length + eventCases.length + fileCases.length + cdnCases.length,
    ).toBeGreaterThanOrEqual(100);
  });

  it('names each case once within its kind', () => {
    for (const cases of [requestCases, eventCases, fileCases, cdnCases]) {
      const names = cases.map((c) => c.name);
      expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
    }
  });
});
