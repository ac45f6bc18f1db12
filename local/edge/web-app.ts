/**
 * Publishes the web app to the bucket's `web/` prefix, as the stack's deployment does: the built files
 * (web/dist, when built) and `config.json`, the endpoints the app talks to.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { localCredentials } from '../services/credentials';

const contentTypes: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.txt': 'text/plain',
  '.woff2': 'font/woff2',
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

export async function publishWebApp(options: {
  s3Endpoint: string;
  region: string;
  bucket: string;
  /** The built web app; skipped when absent. */
  sourceDir: string;
  config: Record<string, string>;
}): Promise<void> {
  const s3 = new S3Client({
    endpoint: options.s3Endpoint,
    region: options.region,
    credentials: localCredentials,
    forcePathStyle: true,
  });
  const put = (key: string, body: Buffer | string, contentType: string) =>
    s3.send(
      new PutObjectCommand({
        Bucket: options.bucket,
        Key: `web/${key}`,
        Body: body,
        ContentType: contentType,
      }),
    );
  try {
    const files = existsSync(options.sourceDir) ? filesUnder(options.sourceDir) : [];
    await Promise.all(
      files.map((file) =>
        put(
          relative(options.sourceDir, file).split('\\').join('/'),
          readFileSync(file),
          contentTypes[extname(file)] ?? 'application/octet-stream',
        ),
      ),
    );
    await put('config.json', JSON.stringify(options.config, null, 2), 'application/json');
  } finally {
    s3.destroy();
  }
}
