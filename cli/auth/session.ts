import { NotSignedInError } from '../errors';
import { tokenDecision, type CachedTokens, type TokenCache } from './token-cache';

export type Refresher = (tokens: CachedTokens) => Promise<CachedTokens>;

/** Hands out the bearer (the ID token) for one target, refreshing cached tokens when they are due. */
export class Session {
  constructor(
    private readonly cache: TokenCache,
    private readonly key: string,
    private readonly refresh: Refresher,
    private readonly now: () => number = Date.now,
  ) {}

  async bearer(): Promise<string> {
    const tokens = await this.cache.get(this.key);
    const decision = tokenDecision(tokens, this.now());
    if (decision === 'missing' || !tokens) throw new NotSignedInError();
    if (decision === 'valid') return tokens.idToken;
    return this.renew(tokens);
  }

  /** After a 401 despite a token that looked valid (revoked, clock skew): one forced refresh, if possible. */
  async bearerAfterRejection(): Promise<string | undefined> {
    const tokens = await this.cache.get(this.key);
    if (!tokens?.refreshToken) return undefined;
    try {
      return await this.renew(tokens);
    } catch {
      return undefined;
    }
  }

  private async renew(tokens: CachedTokens): Promise<string> {
    let renewed: CachedTokens;
    try {
      renewed = await this.refresh(tokens);
    } catch {
      await this.cache.delete(this.key);
      throw new NotSignedInError('the session has expired, run sluice login');
    }
    await this.cache.set(this.key, renewed);
    return renewed.idToken;
  }
}
