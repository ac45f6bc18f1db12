/**
 * The signed-in session: Cognito tokens kept in sessionStorage (gone with the tab), refreshed a minute before
 * they expire and whenever the API says 401. Concurrent callers share one refresh.
 */
import { AuthError, type CognitoClient, type Tokens } from './cognito';

export interface Session extends Tokens {
  username: string;
}

/** The part of the Web Storage API the session needs (sessionStorage in the browser). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const storageKey = 'sluice.session';
/** Refresh this long before the tokens expire, so a request never leaves with a token about to lapse. */
export const refreshMarginMs = 60_000;

export function readSession(storage: KeyValueStorage): Session | undefined {
  try {
    const value = JSON.parse(storage.getItem(storageKey) ?? 'null') as Partial<Session> | null;
    if (
      value &&
      typeof value.username === 'string' &&
      typeof value.idToken === 'string' &&
      typeof value.accessToken === 'string' &&
      typeof value.refreshToken === 'string' &&
      typeof value.expiresAt === 'number'
    ) {
      return value as Session;
    }
  } catch {
    // unreadable: as if signed out
  }
  return undefined;
}

export const refreshDue = (session: Tokens, now: number): boolean =>
  now >= session.expiresAt - refreshMarginMs;

export const refreshDelayMs = (session: Tokens, now: number): number =>
  Math.max(0, session.expiresAt - refreshMarginMs - now);

export interface Auth {
  readonly session: Session | undefined;
  signIn(username: string, password: string): Promise<Session>;
  signOut(): Promise<void>;
  /** A valid ID token (refreshed first when due), or undefined when signed out. */
  idToken(): Promise<string | undefined>;
  /** Refreshes now (after a 401); undefined when the session cannot be renewed, which signs out. */
  forceRefresh(): Promise<string | undefined>;
  /** Called whenever the user signs in or out (including a refresh that failed). */
  onChange(listener: (session: Session | undefined) => void): void;
}

export function createAuth(
  cognito: CognitoClient,
  storage: KeyValueStorage,
  clock: { now(): number } = Date,
): Auth {
  let session = readSession(storage);
  let refreshing: Promise<string | undefined> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const listeners: ((session: Session | undefined) => void)[] = [];

  function set(next: Session | undefined): void {
    const changed = (session === undefined) !== (next === undefined);
    session = next;
    if (next) storage.setItem(storageKey, JSON.stringify(next));
    else storage.removeItem(storageKey);
    schedule();
    if (changed) for (const listener of listeners) listener(next);
  }

  function schedule(): void {
    clearTimeout(timer);
    timer = session ? setTimeout(() => void refresh(), refreshDelayMs(session, clock.now())) : undefined;
  }

  function refresh(): Promise<string | undefined> {
    const current = session;
    if (!current) return Promise.resolve(undefined);
    refreshing ??= cognito
      .refresh(current.refreshToken)
      .then(
        (tokens) => {
          if (session !== current) return undefined; // signed out (or in again) meanwhile
          set({ ...tokens, username: current.username });
          return tokens.idToken;
        },
        (error: unknown) => {
          // Cognito refused the refresh token (revoked, expired): the session is over. A network failure is not.
          if (!(error instanceof AuthError && error.code === 'NetworkError')) set(undefined);
          return undefined;
        },
      )
      .finally(() => (refreshing = undefined));
    return refreshing;
  }

  schedule();

  return {
    get session() {
      return session;
    },
    async signIn(username, password) {
      const tokens = await cognito.signIn(username, password);
      set({ ...tokens, username });
      return session!;
    },
    async signOut() {
      const current = session;
      set(undefined);
      // Revoking ends the refresh token server-side too; signing out locally does not wait for it.
      if (current) await cognito.revoke(current.refreshToken).catch(() => undefined);
    },
    async idToken() {
      if (!session) return undefined;
      if (refreshDue(session, clock.now())) return refresh();
      return session.idToken;
    },
    forceRefresh: refresh,
    onChange(listener) {
      listeners.push(listener);
    },
  };
}
