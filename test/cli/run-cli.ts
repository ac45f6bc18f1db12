import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { run } from '../../cli/main';

/** `bin/sluice.js`, the script `npx sluice` runs. */
export const sluiceBin = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));

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

/**
 * Runs the CLI as users do, `node bin/sluice.js …` in a child process: real (non-TTY) pipes, the real
 * process exit code. `env` is the whole environment of the child, nothing is inherited.
 */
export function spawnCli(args: string[], options: RunOptions): Promise<CliResult> {
  const child = spawn(process.execPath, [sluiceBin, ...args], { cwd: options.cwd, env: options.env });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  child.stdin.on('error', () => {}); // a CLI that exits before reading its input closes the pipe
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : -1), stdout: out, stderr: err }),
    );
  });
}
