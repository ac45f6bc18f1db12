/**
 * The CloudFront distribution on 127.0.0.1. Default behavior: GET/HEAD of the web app from the bucket's `web/`
 * prefix (`/` → `web/index.html`). `/uploads/*`: only with a valid signed URL (trusted key group = the local
 * signing key); a PUT/POST streams the body to S3 under the request path (never buffered: uploads are large),
 * a GET/HEAD reads the object back. Errors look like CloudFront's and S3's (through origin access control, a
 * missing object is S3's 403 AccessDenied).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { closeServer, host, listen } from '../services/network';
import { localCredentials } from '../services/credentials';
import { verifySignedUrl } from './signed-url';

export interface CdnOptions {
  port: { port: number; fixed: boolean };
  s3Endpoint: string;
  region: string;
  bucket: string;
  /** Key pair id → public key PEM (the distribution's trusted key group). */
  trustedKeys: Record<string, string>;
  /** Path prefix served by the signed-URL behavior. */
  signedPrefix?: string;
  /** Bucket prefix the default behavior serves. */
  webPrefix?: string;
  log?: (line: string) => void;
}

export interface Cdn {
  url: string;
  stop(): Promise<void>;
}

const xmlError = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;

function edgeHeaders(): Record<string, string> {
  return {
    'x-cache': 'Miss from cloudfront',
    via: '1.1 local.cloudfront.net (CloudFront)',
    'x-amz-cf-pop': 'LOCAL1',
    'x-amz-cf-id': randomBytes(21).toString('base64url'),
  };
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const body = xmlError(code, message);
  res.writeHead(status, {
    ...edgeHeaders(),
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** S3's limit on key length (UTF-8 bytes). */
const maxKeyBytes = 1024;
/** s3rver keeps each key segment as a file name with a suffix (`._S3rver_object`); 255 bytes is the usual limit. */
const maxSegmentBytes = 255 - '._S3rver_metadata.json'.length;

/**
 * The one S3 key a request path names: the path after its `/`, percent-decoded once and taken literally, as S3
 * takes the path CloudFront forwards as is (`..%2F` is part of a key name, never a step up). s3rver keeps objects
 * as files, so a key it cannot hold literally (a `.` or `..` segment, an empty segment before the last, a NUL, a
 * segment too long for a file name) would resolve to another key or fail: those are `Unstorable`.
 */
export function literalKey(
  path: string,
): { key: string; error?: undefined } | { error: 'InvalidURI' | 'KeyTooLong' | 'Unstorable' } {
  let key: string;
  try {
    key = decodeURIComponent(path.slice(1));
  } catch {
    return { error: 'InvalidURI' };
  }
  if (Buffer.byteLength(key) > maxKeyBytes) return { error: 'KeyTooLong' };
  const segments = key.split('/');
  const unstorable = segments.some(
    (segment, i) =>
      segment === '.' ||
      segment === '..' ||
      (segment === '' && i < segments.length - 1) ||
      segment.includes('\0') ||
      Buffer.byteLength(segment) > maxSegmentBytes,
  );
  return unstorable ? { error: 'Unstorable' } : { key };
}

export async function startCdn(options: CdnOptions): Promise<Cdn> {
  const signedPrefix = options.signedPrefix ?? '/uploads/';
  const webPrefix = options.webPrefix ?? 'web/';
  const log = options.log ?? (() => undefined);
  const s3 = new S3Client({
    endpoint: options.s3Endpoint,
    region: options.region,
    credentials: localCredentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  async function readObject(req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
    try {
      const input = { Bucket: options.bucket, Key: key };
      const object =
        req.method === 'HEAD'
          ? await s3.send(new HeadObjectCommand(input))
          : await s3.send(new GetObjectCommand(input));
      const headers: Record<string, string> = { ...edgeHeaders() };
      if (object.ContentType) headers['content-type'] = object.ContentType;
      if (object.ContentLength !== undefined) headers['content-length'] = String(object.ContentLength);
      if (object.ETag) headers.etag = object.ETag;
      if (object.LastModified) headers['last-modified'] = object.LastModified.toUTCString();
      res.writeHead(200, headers);
      if ('Body' in object && object.Body) await pipeline(object.Body as Readable, res);
      else res.end();
    } catch (error) {
      const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
      if (status === 404 || status === 403) return sendError(res, 403, 'AccessDenied', 'Access Denied');
      throw error;
    }
  }

  async function writeObject(req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
    const length = req.headers['content-length'];
    if (length === undefined) {
      return sendError(res, 411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
    }
    const result = await s3.send(
      new PutObjectCommand({
        Bucket: options.bucket,
        Key: key,
        Body: req,
        ContentLength: Number(length),
        ContentType: req.headers['content-type'],
      }),
    );
    res.writeHead(200, { ...edgeHeaders(), etag: result.ETag ?? '', 'content-length': '0' });
    res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const path = rawUrl.split('?')[0]!;
    const literal = literalKey(path);
    if (literal.error === 'InvalidURI')
      return sendError(res, 400, 'InvalidURI', 'Couldn\u2019t parse the specified URI.');
    if (literal.error === 'KeyTooLong') return sendError(res, 400, 'KeyTooLongError', 'Your key is too long');
    // No object can have such a key here (see literalKey), and none may be written.
    if (literal.error) return sendError(res, 403, 'AccessDenied', 'Access Denied');
    const key = literal.key;

    if (path.startsWith(signedPrefix)) {
      const verdict = verifySignedUrl({
        url: `http://${req.headers.host ?? `${host}`}${rawUrl}`,
        sourceIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
        trustedKeys: options.trustedKeys,
      });
      if (!verdict.ok) return sendError(res, 403, verdict.code, verdict.message);
      // The bucket grants the distribution s3:PutObject on uploads/ and nothing else (cdk/constructs/cdn.ts):
      // a signed URL writes the file and cannot read it back; S3 writes an object only on PUT.
      if (method === 'PUT') return writeObject(req, res, key);
      if (method === 'POST') {
        return sendError(
          res,
          405,
          'MethodNotAllowed',
          'The specified method is not allowed against this resource.',
        );
      }
      return sendError(res, 403, 'AccessDenied', 'Access Denied');
    }
    if (method !== 'GET' && method !== 'HEAD') {
      return sendError(
        res,
        403,
        'MethodNotAllowed',
        'This distribution is not configured to allow the HTTP request method that was used for this request.',
      );
    }
    return readObject(req, res, `${webPrefix}${key === '' ? 'index.html' : key}`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`[cdn] ${req.method} ${req.url} failed: ${String(error)}`);
      if (!res.headersSent) sendError(res, 502, 'BadGateway', 'The origin could not be reached.');
      else res.destroy();
    });
  });
  const port = await listen(server, options.port);
  return {
    url: `http://${host}:${port}`,
    async stop() {
      await closeServer(server);
      s3.destroy();
    },
  };
}
