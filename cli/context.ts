import { refreshTokens } from './auth/cognito';
import { Session } from './auth/session';
import { cacheKey, configDir, TokenCache } from './auth/token-cache';
import { json } from './format';
import { ApiClient, defaultRetryPolicy } from './http/api';
import type { CliIo } from './io';
import { describeStackOutputs } from './stack-outputs';
import { requireCognito, resolveTarget, type Target, type TargetOptions } from './target';

export interface GlobalOptions extends TargetOptions {
  json?: boolean;
}

/** What the CLI reaches outside the process through, replaceable in tests. */
export interface CliDeps {
  stackOutputs: (stackName: string, region: string | undefined) => Promise<Record<string, string>>;
  fetch: typeof fetch;
  now: () => number;
}

export const defaultDeps: CliDeps = {
  stackOutputs: describeStackOutputs,
  fetch: (...a) => fetch(...a),
  now: Date.now,
};

/** Per-invocation state shared by the commands: options, the resolved target, the token cache, output. */
export class Context {
  private targetPromise?: Promise<Target>;

  constructor(
    readonly io: CliIo,
    readonly options: GlobalOptions,
    readonly deps: CliDeps = defaultDeps,
  ) {}

  get json(): boolean {
    return this.options.json === true;
  }

  target(): Promise<Target> {
    this.targetPromise ??= resolveTarget(this.options, {
      cwd: this.io.cwd,
      env: this.io.env,
      stackOutputs: this.deps.stackOutputs,
    });
    return this.targetPromise;
  }

  tokenCache(): TokenCache {
    return new TokenCache(configDir(this.io.env));
  }

  async api(): Promise<ApiClient> {
    const target = await this.target();
    const session = new Session(
      this.tokenCache(),
      cacheKey(target),
      (tokens) => refreshTokens(requireCognito(target), tokens, this.deps.now()),
      this.deps.now,
    );
    return new ApiClient(target.apiUrl, session, this.deps.fetch, {
      ...defaultRetryPolicy,
      onRetry: (message) => this.note(message),
    });
  }

  print(text: string): void {
    this.io.stdout.write(`${text}\n`);
  }

  printJson(value: unknown): void {
    this.print(json(value));
  }

  /** Human remarks go to stderr so stdout stays clean for pipes. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }
}
