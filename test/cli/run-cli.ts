import { PassThrough, Readable } from 'node:stream';
import { run } from '../../cli/main';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdin?: string;
}

/** Runs the CLI in-process with captured output (non-TTY streams). */
export async function runCli(args: string[], options: RunOptions): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]);
  const code = await run(args, { stdin, stdout, stderr, env: options.env, cwd: options.cwd });
  return { code, stdout: out, stderr: err };
}
