import { Command, Option } from 'commander';
import { login, logout, signup } from './commands/auth';
import { showEndpoints } from './commands/endpoints';
import { listEvents, showEvent } from './commands/events';
import { listJobs, showJob } from './commands/jobs';
import { getSchema, listSchemas, putSchema } from './commands/schemas';
import { send } from './commands/send';
import { upload } from './commands/upload';
import { Context, type CliDeps, type GlobalOptions } from './context';
import type { CliIo } from './io';
import { intervalSeconds, positiveInt, timeArgument } from './options';

const defaultIntervalMs = 1000;

interface PageFlags {
  limit?: number;
  cursor?: string;
}
interface WatchOptionFlags {
  watch?: boolean;
  interval?: number;
}

/** The `sluice` command tree; each action builds a Context and reports its exit code through `exit`. */
export function buildProgram(io: CliIo, deps: CliDeps, exit: (code: number) => void): Command {
  const program = new Command('sluice')
    .description('Send CloudEvents to Sluice, upload batch files and follow their jobs.')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .option(
      '--endpoints <file>',
      'endpoints file of the local cloud (default: $SLUICE_DATA_DIR/endpoints.json, else .sluice/endpoints.json if present)',
    )
    .option('--stack <name>', 'a deployed stack: read its CloudFormation outputs')
    .option('--region <region>', 'AWS region of the stack and user pool')
    .option('--api-url <url>', 'API base URL (overrides the file or stack)')
    .option('--user-pool-id <id>', 'Cognito user pool id')
    .option('--user-pool-client-id <id>', 'Cognito app client id')
    .option('--cognito-endpoint <url>', 'Cognito endpoint (the local cloud)')
    .option('--json', 'print JSON for machines instead of tables')
    .addHelpText(
      'after',
      '\nSign-in tokens are cached per target in $SLUICE_CONFIG_DIR (default ~/.config/sluice).\n' +
        'Exit codes: 0 ok, 1 failure (API error, failed job, not signed in), 2 bad arguments.',
    );

  const action =
    <A extends unknown[]>(fn: (ctx: Context, ...args: A) => Promise<number>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const ctx = new Context(io, command.optsWithGlobals<GlobalOptions>(), deps);
      exit(await fn(ctx, ...(args.slice(0, -1) as A)));
    };
  const watchOptions = (command: Command) =>
    command
      .option('--watch', 'follow the job until it ends (exit 0 if it succeeded, 1 if it failed)')
      .option('--interval <seconds>', 'poll interval while watching (default 1)', intervalSeconds);
  const watchFlags = (flags: WatchOptionFlags) => ({
    watch: flags.watch,
    intervalMs: flags.interval ?? defaultIntervalMs,
  });

  program
    .command('endpoints')
    .description('show the target the other commands use')
    .action(action((ctx) => showEndpoints(ctx)));

  program
    .command('login')
    .description('sign in (password from a prompt, or SLUICE_PASSWORD)')
    .requiredOption('--username <email>', 'your e-mail address')
    .action(action((ctx, flags: { username: string }) => login(ctx, flags.username)));

  program
    .command('logout')
    .description("forget this target's cached tokens")
    .action(action((ctx) => logout(ctx)));

  program
    .command('signup')
    .description('create an account and sign in (password from a prompt, or SLUICE_PASSWORD)')
    .requiredOption('--username <email>', 'your e-mail address')
    .option('--code <code>', 'the confirmation code e-mailed by Cognito (AWS targets)')
    .action(
      action((ctx, flags: { username: string; code?: string }) => signup(ctx, flags.username, flags.code)),
    );

  watchOptions(
    program
      .command('send')
      .description('post CloudEvents (one JSON event, a JSON array or NDJSON) from a file or stdin')
      .argument('[file]', 'input file, or - for stdin (the default)')
      .option('--type <type>', 'wrap values that are not CloudEvents as events of this type')
      .option('--source <source>', 'the source of wrapped events'),
  ).action(
    action((ctx, file: string | undefined, flags: WatchOptionFlags & { type?: string; source?: string }) =>
      send(ctx, file, { ...watchFlags(flags), type: flags.type, source: flags.source }),
    ),
  );

  watchOptions(
    program
      .command('upload')
      .description('upload an NDJSON or JSON array file (.gz for gzip) through a signed URL')
      .argument('<file>'),
  ).action(action((ctx, file: string, flags: WatchOptionFlags) => upload(ctx, file, watchFlags(flags))));

  program
    .command('jobs')
    .description('list your jobs, newest first')
    .option('--limit <n>', 'jobs per page (1-100)', positiveInt)
    .option('--cursor <cursor>', 'the next page, from a previous listing')
    .action(action((ctx, flags: PageFlags) => listJobs(ctx, { limit: flags.limit, cursor: flags.cursor })));

  watchOptions(
    program
      .command('job')
      .description('show a job')
      .argument('<jobId>')
      .addOption(new Option('--errors', 'the full rejection report').conflicts('watch')),
  ).action(
    action((ctx, jobId: string, flags: WatchOptionFlags & { errors?: boolean }) =>
      showJob(ctx, jobId, { ...watchFlags(flags), errors: flags.errors }),
    ),
  );

  program
    .command('events')
    .description('list stored events of a type, newest first')
    .requiredOption('--type <type>', 'event type')
    .option('--since <time>', 'ISO 8601 time or a span back from now (15m, 2h, 7d)', (v) => timeArgument(v))
    .option('--until <time>', 'ISO 8601 time or a span back from now', (v) => timeArgument(v))
    .option('--limit <n>', 'events per page', positiveInt)
    .option('--cursor <cursor>', 'the next page, from a previous listing')
    .action(
      action((ctx, flags: PageFlags & { type: string; since?: string; until?: string }) =>
        listEvents(ctx, {
          type: flags.type,
          since: flags.since,
          until: flags.until,
          limit: flags.limit,
          cursor: flags.cursor,
        }),
      ),
    );

  program
    .command('event')
    .description('show one stored event')
    .argument('<id>')
    .requiredOption('--source <source>', 'the event source')
    .action(action((ctx, id: string, flags: { source: string }) => showEvent(ctx, id, flags.source)));

  const schema = program.command('schema').description('JSON Schemas for the data of your event types');
  schema
    .command('put')
    .description('store the JSON Schema in <file> for <type>')
    .argument('<type>')
    .argument('<file>')
    .action(action((ctx, type: string, file: string) => putSchema(ctx, type, file)));
  schema
    .command('get')
    .description('print the schema of <type>')
    .argument('<type>')
    .action(action((ctx, type: string) => getSchema(ctx, type)));
  schema
    .command('list')
    .description('list your schemas')
    .option('--limit <n>', 'schemas per page', positiveInt)
    .option('--cursor <cursor>', 'the next page, from a previous listing')
    .action(
      action((ctx, flags: PageFlags) => listSchemas(ctx, { limit: flags.limit, cursor: flags.cursor })),
    );

  return program;
}
