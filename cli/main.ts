import { CommanderError } from 'commander';
import { defaultDeps, type CliDeps } from './context';
import { ApiError, ExitCode, exitCodeFor, messageOf } from './errors';
import { processIo, type CliIo } from './io';
import { buildProgram } from './program';

/** Runs one `sluice` invocation and returns its exit code; never calls process.exit. */
export async function run(
  argv: readonly string[],
  io: CliIo = processIo(),
  deps: CliDeps = defaultDeps,
): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = buildProgram(io, deps, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    // Commander has already printed its message (unknown option, missing argument…) or the help.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    io.stderr.write(`sluice: ${messageOf(error)}\n`);
    if (error instanceof ApiError) {
      for (const detail of error.details) {
        io.stderr.write(`  - ${typeof detail === 'string' ? detail : JSON.stringify(detail)}\n`);
      }
    }
    return exitCodeFor(error);
  }
}
