/**
 * The cost meter inside the S3 child process (CommonJS source for s3-child.ts): each request is counted under a
 * signature `<method> <path> <query names> <copy?>` (the path reduced to "bucket" or "bucket/key"), and the parent
 * names the S3 operation of each signature with s3Operation (units.ts) when the meter is read, so the
 * classification has one source. Read over IPC like dynalite's counts: `{type:'meter', id, reset}`.
 */
import { s3Operation } from './units';
import type { ChildCounts, OperationCount } from './meter';

/** Defines `meterS3(s3rver)` (its outermost middleware). */
export const s3MeterScript = `
const meterS3 = (s3rver) => {
  let signatures = new Map();
  process.on('message', (message) => {
    if (!message || message.type !== 'meter') return;
    const counts = Object.fromEntries(signatures);
    if (message.reset) signatures = new Map();
    process.send({ type: 'meter', id: message.id, counts });
  });
  s3rver.middleware.unshift((ctx, next) => {
    const path = ctx.path.replace(/^\\/+/, '');
    const slash = path.indexOf('/');
    const shape = slash < 0 || slash === path.length - 1 ? '/bucket' : '/bucket/key';
    const signature =
      ctx.method + ' ' + shape + ' ' + Object.keys(ctx.query).sort().join('&') + ' ' +
      (ctx.get('x-amz-copy-source') ? 'copy' : '');
    signatures.set(signature, (signatures.get(signature) || 0) + 1);
    return next();
  });
};
`;

/** The child's signature counts as S3 operations. */
export function s3Counts(signatures: Record<string, number>): ChildCounts {
  const s3: Record<string, OperationCount> = {};
  for (const [signature, requests] of Object.entries(signatures)) {
    const [method = '', path = '', query = '', copy = ''] = signature.split(' ');
    const names = Object.fromEntries(query ? query.split('&').map((name) => [name, '']) : []);
    const operation = s3Operation(method, path, names, copy === 'copy');
    const counted = (s3[operation] ??= { requests: 0, units: 0 });
    counted.requests += requests;
    counted.units += requests;
  }
  return { requests: { s3 } };
}
