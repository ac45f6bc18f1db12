import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CliError, UsageError } from '../errors';
import type { CliIo } from '../io';

export interface EventInput {
  text: string;
  /** For error messages: the file name or "stdin". */
  name: string;
}

/** Reads `sluice send` input from a file, or from stdin for `-` or no argument; gzip is recognised by its magic. */
export async function readEventInput(file: string | undefined, io: CliIo): Promise<EventInput> {
  if (file === undefined || file === '-') {
    if (file === undefined && io.stdin.isTTY) {
      throw new UsageError('no input: give a file, or pipe events into sluice send -');
    }
    return { text: decode(await readAll(io.stdin), 'stdin'), name: 'stdin' };
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path.resolve(io.cwd, file));
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  return { text: decode(bytes, file), name: file };
}

async function readAll(stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

function decode(bytes: Buffer, name: string): string {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes.toString('utf8');
  try {
    return gunzipSync(bytes).toString('utf8');
  } catch (error) {
    throw new CliError(`${name} looks gzipped but does not decompress: ${(error as Error).message}`);
  }
}
