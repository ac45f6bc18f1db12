import { describe, expect, it } from 'vitest';
import {
  cdnObjectUrl,
  deadlineDelaySeconds,
  parseUploadRequest,
  sanitizeFilename,
  uploadExpiry,
  uploadKey,
} from '../../shared/api/uploads';

describe('upload requests', () => {
  it('keeps [A-Za-z0-9._-] and replaces everything else', () => {
    expect(sanitizeFilename('Report 2026/05 (final)é.ndjson.gz')).toBe('Report_2026_05__final__.ndjson.gz');
    expect(sanitizeFilename('a-b_c.d')).toBe('a-b_c.d');
  });

  it('never yields a dot-only path segment', () => {
    expect(sanitizeFilename('..')).toBe('__');
    expect(sanitizeFilename('.')).toBe('_');
    expect(sanitizeFilename('.env')).toBe('.env');
  });

  it('builds the key under the tenant and job, and a URL with each segment encoded', () => {
    expect(uploadKey('t-1', 'JOB', 'a b.json')).toBe('uploads/t-1/JOB/a_b.json');
    expect(cdnObjectUrl('https://d.example.net//', 'uploads/a b/c')).toBe(
      'https://d.example.net/uploads/a%20b/c',
    );
  });

  it('expires on a whole second and delays the deadline at most 15 minutes', () => {
    expect(uploadExpiry(Date.parse('2026-01-01T00:00:00.999Z'), 900).toISOString()).toBe(
      '2026-01-01T00:15:00.000Z',
    );
    expect(deadlineDelaySeconds(300, 60)).toBe(360);
    expect(deadlineDelaySeconds(900, 60)).toBe(900);
  });

  it('names the offending field', () => {
    expect(parseUploadRequest({ filename: 'a.ndjson', contentType: 'text/plain' })).toEqual({
      filename: 'a.ndjson',
      contentType: 'text/plain',
    });
    expect(() => parseUploadRequest({ filename: 'x'.repeat(201) })).toThrow(/at most 200/);
    expect(() => parseUploadRequest([])).toThrow(/JSON object/);
  });
});
