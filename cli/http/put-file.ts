import { createReadStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import { CliError } from '../errors';

export interface PutFileOptions {
  size: number;
  contentType: string;
  onProgress?: (sentBytes: number) => void;
}

/**
 * PUTs a file to a (signed) URL, streamed from disk with back-pressure: memory stays flat whatever the file
 * size. Resolves with the response once the server has answered; a non-2xx answer is an error.
 */
export function putFile(url: string, filePath: string, options: PutFileOptions): Promise<void> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? https.request : http.request;
  return new Promise<void>((resolve, reject) => {
    const req = request(target, {
      method: 'PUT',
      headers: { 'content-length': String(options.size), 'content-type': options.contentType },
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        if (chunks.length < 64) chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve();
        const body = Buffer.concat(chunks).toString('utf8').trim().slice(0, 500);
        reject(new CliError(`upload refused: HTTP ${status}${body ? ` ${body}` : ''}`));
      });
    });
    const source = createReadStream(filePath);
    let sent = 0;
    source.on('data', (chunk) => {
      sent += chunk.length;
      options.onProgress?.(sent);
    });
    // A server that answers early (an error status) breaks the pipe; its answer is the better message.
    pipeline(source, req).catch((error: Error) => {
      setTimeout(() => {
        if (!answered) reject(new CliError(`upload failed: ${error.message}`));
      }, 200);
    });
  });
}
