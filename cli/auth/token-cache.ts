import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

export interface CachedTokens {
  username?: string;
  idToken: string;
  accessToken: string;
  refreshToken?: string;
  /** When the ID and access tokens expire, epoch milliseconds. */
  expiresAt: number;
}

type TokenFile = Record<string, CachedTokens>;

/** Tokens are refreshed this long before they expire, so a request never leaves with a token about to lapse. */
export const refreshSkewMs = 60_000;

export type TokenDecision = 'missing' | 'valid' | 'refresh';

/** Whether cached tokens can be used as they are, must be refreshed first, or are no use (sign in again). */
export function tokenDecision(tokens: CachedTokens | undefined, now: number): TokenDecision {
  if (!tokens) return 'missing';
  if (tokens.expiresAt - refreshSkewMs > now) return 'valid';
  return tokens.refreshToken ? 'refresh' : 'missing';
}

/** `$SLUICE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/sluice`, else `~/.config/sluice`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.SLUICE_CONFIG_DIR) return env.SLUICE_CONFIG_DIR;
  return path.join(env.XDG_CONFIG_HOME || path.join(homedir(), '.config'), 'sluice');
}

/** One sign-in per target: a user may be signed in to the local cloud and to a deployed stack at once. */
export function cacheKey(target: { apiUrl: string; userPoolClientId?: string }): string {
  return `${target.apiUrl}|${target.userPoolClientId ?? ''}`;
}

/** `tokens.json` in the config dir, readable by its owner only (0600). */
export class TokenCache {
  readonly file: string;

  constructor(readonly dir: string) {
    this.file = path.join(dir, 'tokens.json');
  }

  async get(key: string): Promise<CachedTokens | undefined> {
    return (await this.readAll())[key];
  }

  async set(key: string, tokens: CachedTokens): Promise<void> {
    const all = await this.readAll();
    all[key] = tokens;
    await this.writeAll(all);
  }

  /** Returns whether there was anything to forget. */
  async delete(key: string): Promise<boolean> {
    const all = await this.readAll();
    if (!(key in all)) return false;
    delete all[key];
    await this.writeAll(all);
    return true;
  }

  private async readAll(): Promise<TokenFile> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as TokenFile) : {};
    } catch {
      return {};
    }
  }

  /** Written to a private temporary file and renamed, so the tokens are never readable by others, even briefly. */
  private async writeAll(all: TokenFile): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    try {
      await writeFile(temporary, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
      await chmod(temporary, 0o600);
      await rename(temporary, this.file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}
