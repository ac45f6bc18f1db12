/**
 * Emulators that run in a Node child process of their own (a core of their own on a small machine), and exit by
 * themselves when the local cloud goes away: their stdin is a pipe from the parent, and its close ends them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { stripVTControlCharacters } from 'node:util';

/**
 * How long an emulator child may take to answer after spawn. Warm, cognito-local answers in ≈ 0.5 s and dynalite
 * sooner; a cold start on a 2-core machine running the whole suite (two local clouds, Chromium) once took over 15 s.
 */
export const childStartTimeoutMs = 45_000;

const watchdog = "process.stdin.on('close', () => process.exit(0)); process.stdin.resume();";

export function spawnNodeChild(opts: {
  /** CommonJS source run after the watchdog; `process.argv.slice(1)` holds `args`. */
  script: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  label: string;
  log: (line: string) => void;
  /** An IPC channel (process.send / 'message') besides the pipes. */
  ipc?: boolean;
}): ChildProcess {
  const child = spawn(process.execPath, ['-e', `${watchdog}\n${opts.script}`, ...opts.args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1', ...opts.env },
    stdio: opts.ipc ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) =>
      opts.log(`[${opts.label}] ${stripVTControlCharacters(line)}`),
    );
  }
  return child;
}

export async function stopChild(child: ChildProcess): Promise<void> {
  const closed = new Promise((resolve) => child.once('close', resolve));
  if (child.exitCode === null && child.signalCode === null) {
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await closed;
    clearTimeout(timer);
  } else if (child.stdout?.readable || child.stderr?.readable) {
    child.stdout?.destroy();
    child.stderr?.destroy();
  }
}
