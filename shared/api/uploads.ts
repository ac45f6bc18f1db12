/**
 * POST /uploads, the pure part: the request, the object key the client may PUT, and the deadline timing.
 */
import * as z from 'zod';
import { ApiError } from '../http/errors';

export const MAX_FILENAME_LENGTH = 200;
/** SQS's ceiling on DelaySeconds. */
export const MAX_DELAY_SECONDS = 900;

const uploadRequest = z.object({
  filename: z
    .string({
      error: (issue) => (issue.input === undefined ? 'filename is required' : 'filename must be a string'),
    })
    .min(1, 'filename must not be empty')
    .max(MAX_FILENAME_LENGTH, `filename must be at most ${MAX_FILENAME_LENGTH} characters`),
  contentType: z.string({ error: 'contentType must be a string' }).optional(),
});

export type UploadRequest = z.infer<typeof uploadRequest>;

export function parseUploadRequest(body: unknown): UploadRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'InvalidRequest', 'The body must be a JSON object with a filename');
  }
  const parsed = uploadRequest.safeParse(body);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((issue) => ({
    field: issue.path.join('.'),
    message: issue.message,
  }));
  throw new ApiError(400, 'InvalidRequest', details.map((d) => d.message).join('; '), details);
}

/** Keeps `[A-Za-z0-9._-]`; a name of dots only would be a path segment (`.`/`..`) that URLs collapse. */
export function sanitizeFilename(filename: string): string {
  const safe = filename.replace(/[^A-Za-z0-9._-]/g, '_');
  return /^\.+$/.test(safe) ? safe.replace(/\./g, '_') : safe;
}

export const uploadKey = (tenant: string, jobId: string, filename: string): string =>
  `uploads/${tenant}/${jobId}/${sanitizeFilename(filename)}`;

/** The CDN URL of an object: each key segment URI-encoded, as CloudFront forwards it to S3. */
export function cdnObjectUrl(cdnUrl: string, key: string): string {
  return `${cdnUrl.replace(/\/+$/, '')}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** When a URL signed now expires, on a whole second (CloudFront policies count epoch seconds). */
export function uploadExpiry(nowMs: number, ttlSeconds: number): Date {
  return new Date((Math.floor(nowMs / 1000) + ttlSeconds) * 1000);
}

/** The deadline message's first delay; when the deadline lies further out, the starter re-sends it. */
export const deadlineDelaySeconds = (ttlSeconds: number, graceSeconds: number): number =>
  Math.min(MAX_DELAY_SECONDS, ttlSeconds + graceSeconds);
