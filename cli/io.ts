import type { Readable, Writable } from 'node:stream';

export type InputStream = Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
export type OutputStream = Writable & { isTTY?: boolean; columns?: number };

/** The process surroundings a command may touch, injectable so tests run the CLI in-process. */
export interface CliIo {
  stdin: InputStream;
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIo(): CliIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  };
}
