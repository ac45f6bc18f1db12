import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tokensFromAuthResult } from '../../cli/auth/cognito';
import { Session } from '../../cli/auth/session';
import {
  cacheKey,
  configDir,
  refreshSkewMs,
  TokenCache,
  tokenDecision,
  type CachedTokens,
} from '../../cli/auth/token-cache';
import { NotSignedInError } from '../../cli/errors';

const tokens = (over: Partial<CachedTokens> = {}): CachedTokens => ({
  idToken: 'id-1',
  accessToken: 'access-1',
  refreshToken: 'refresh-1',
  expiresAt: 1_000_000,
  ...over,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-tokens-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('tokenDecision', () => {
  it('uses tokens until shortly before they expire, then refreshes', () => {
    const t = tokens();
    expect(tokenDecision(t, t.expiresAt - refreshSkewMs - 1)).toBe('valid');
    expect(tokenDecision(t, t.expiresAt - refreshSkewMs)).toBe('refresh');
    expect(tokenDecision(t, t.expiresAt + 1)).toBe('refresh');
  });

  it('asks for sign-in when there is nothing to use or refresh with', () => {
    expect(tokenDecision(undefined, 0)).toBe('missing');
    expect(tokenDecision(tokens({ refreshToken: undefined }), 2_000_000)).toBe('missing');
  });
});

describe('configDir and cacheKey', () => {
  it('prefers SLUICE_CONFIG_DIR, then XDG_CONFIG_HOME, then ~/.config', () => {
    expect(configDir({ SLUICE_CONFIG_DIR: '/a', XDG_CONFIG_HOME: '/b' })).toBe('/a');
    expect(configDir({ XDG_CONFIG_HOME: '/b' })).toBe(path.join('/b', 'sluice'));
    expect(configDir({})).toBe(path.join(homedir(), '.config', 'sluice'));
  });

  it('keys sign-ins by API URL and app client', () => {
    expect(cacheKey({ apiUrl: 'http://x', userPoolClientId: 'c' })).toBe('http://x|c');
    expect(cacheKey({ apiUrl: 'http://x' })).not.toBe(
      cacheKey({ apiUrl: 'http://x', userPoolClientId: 'c' }),
    );
  });
});

describe('TokenCache', () => {
  it('stores tokens per target in a file only its owner can read', async () => {
    const cache = new TokenCache(path.join(dir, 'nested'));
    await cache.set('a', tokens());
    await cache.set('b', tokens({ idToken: 'id-b' }));
    expect((await stat(cache.file)).mode & 0o777).toBe(0o600);
    expect((await stat(cache.dir)).mode & 0o777).toBe(0o700);
    expect(await cache.get('a')).toEqual(tokens());
    expect((await cache.get('b'))?.idToken).toBe('id-b');
  });

  it('tightens a file that was readable by others', async () => {
    const cache = new TokenCache(dir);
    await writeFile(cache.file, '{}');
    await chmod(cache.file, 0o644);
    await cache.set('a', tokens());
    expect((await stat(cache.file)).mode & 0o777).toBe(0o600);
  });

  it('forgets one target without touching the others', async () => {
    const cache = new TokenCache(dir);
    await cache.set('a', tokens());
    await cache.set('b', tokens());
    expect(await cache.delete('a')).toBe(true);
    expect(await cache.delete('a')).toBe(false);
    expect(Object.keys(JSON.parse(await readFile(cache.file, 'utf8')))).toEqual(['b']);
  });

  it('treats an unreadable file as empty', async () => {
    const cache = new TokenCache(dir);
    await writeFile(cache.file, 'not json');
    expect(await cache.get('a')).toBeUndefined();
    await cache.set('a', tokens());
    expect(await cache.get('a')).toEqual(tokens());
  });
});

describe('tokensFromAuthResult', () => {
  it('computes the expiry and keeps the old refresh token when Cognito sends none', () => {
    const result = tokensFromAuthResult({ IdToken: 'i', AccessToken: 'a', ExpiresIn: 300 }, 1_000, {
      refreshToken: 'r',
      username: 'u',
    });
    expect(result).toEqual({
      username: 'u',
      idToken: 'i',
      accessToken: 'a',
      refreshToken: 'r',
      expiresAt: 301_000,
    });
  });

  it('fails without tokens', () => {
    expect(() => tokensFromAuthResult({}, 0)).toThrow('sign-in returned no tokens');
  });
});

describe('Session', () => {
  const key = 'http://api|client';

  it('hands out the cached ID token without refreshing while it is valid', async () => {
    const cache = new TokenCache(dir);
    await cache.set(key, tokens());
    const refresh = vi.fn();
    expect(await new Session(cache, key, refresh, () => 0).bearer()).toBe('id-1');
    expect(refresh).not.toHaveBeenCalled();
  });

  it('refreshes due tokens and saves the result', async () => {
    const cache = new TokenCache(dir);
    await cache.set(key, tokens());
    const refresh = vi.fn(async (t: CachedTokens) => ({ ...t, idToken: 'id-2', expiresAt: 9_000_000 }));
    expect(await new Session(cache, key, refresh, () => 999_999).bearer()).toBe('id-2');
    expect(refresh).toHaveBeenCalledWith(tokens());
    expect(await cache.get(key)).toMatchObject({ idToken: 'id-2', refreshToken: 'refresh-1' });
  });

  it('asks for sign-in when nothing is cached, or when the refresh is refused', async () => {
    const cache = new TokenCache(dir);
    await expect(new Session(cache, key, vi.fn(), () => 0).bearer()).rejects.toBeInstanceOf(NotSignedInError);
    await cache.set(key, tokens());
    const refused = new Session(
      cache,
      key,
      () => Promise.reject(new Error('revoked')),
      () => 2_000_000,
    );
    await expect(refused.bearer()).rejects.toThrow('the session has expired, run sluice login');
    expect(await cache.get(key)).toBeUndefined();
  });

  it('after a rejection, refreshes once if it can', async () => {
    const cache = new TokenCache(dir);
    await cache.set(key, tokens({ refreshToken: undefined }));
    const refresh = vi.fn(async (t: CachedTokens) => ({ ...t, idToken: 'id-3' }));
    expect(await new Session(cache, key, refresh, () => 0).bearerAfterRejection()).toBeUndefined();
    await cache.set(key, tokens());
    expect(await new Session(cache, key, refresh, () => 0).bearerAfterRejection()).toBe('id-3');
  });
});
