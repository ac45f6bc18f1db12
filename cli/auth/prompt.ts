import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CliError } from '../errors';
import type { CliIo } from '../io';

/**
 * Reads a password: from a terminal without echo, or the first line of piped stdin
 * (`printf '%s\n' "$PW" | sluice login …`).
 */
export async function readSecret(io: CliIo, prompt: string): Promise<string> {
  if (!io.stdin.isTTY) return firstLine(io);
  io.stderr.write(prompt);
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: io.stdin, output: muted, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      // In raw mode Ctrl-C arrives as a keypress, not a signal: cancel instead of hanging.
      rl.on('SIGINT', () => reject(new CliError('cancelled')));
      rl.question('', resolve);
    });
  } finally {
    rl.close();
    io.stderr.write('\n');
  }
}

/** Reads one echoed line, e.g. an emailed confirmation code. */
export async function readLine(io: CliIo, prompt: string): Promise<string> {
  if (!io.stdin.isTTY) return firstLine(io);
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    return (await new Promise<string>((resolve) => rl.question(prompt, resolve))).trim();
  } finally {
    rl.close();
  }
}

async function firstLine(io: CliIo): Promise<string> {
  const rl = createInterface({ input: io.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  throw new CliError('no input on stdin (set SLUICE_PASSWORD or run in a terminal)');
}
