/**
 * The HTTP API JWT authorizer configured for the Cognito user pool: `Authorization: Bearer <token>`, an RS256
 * signature from the pool's JWKS, the pool as issuer, unexpired (exp/nbf), `token_use` id or access, and the
 * app client as `aud` (ID tokens) or `client_id` (access tokens). Claims reach the function as strings.
 *
 * A token that verified is remembered until its `exp` (as API Gateway caches the JWKS and the verified result),
 * so a client reusing its token pays for one RSA verification, not one per request; expiry and `nbf` are still
 * checked on every request. Rejections are not remembered.
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { JwtAuthorization } from './event';

export interface JwtAuthorizerConfig {
  issuer: string;
  jwksUri: string;
  /** The accepted app client ids. */
  audience: string[];
}

export type JwtAuthorizer = (authorization: string | undefined) => Promise<JwtAuthorization | undefined>;

/** API Gateway's rendering of claim values: strings as they are, arrays as `[a b]`, the rest as JSON. */
export function claimToString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(claimToString).join(' ')}]`;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function audienceMatches(payload: JWTPayload, audience: string[]): boolean {
  if (payload.token_use === 'id') {
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    return aud.some((value) => typeof value === 'string' && audience.includes(value));
  }
  if (payload.token_use === 'access') {
    return typeof payload.client_id === 'string' && audience.includes(payload.client_id);
  }
  return false;
}

/** Verified tokens remembered at most (oldest forgotten first). */
const maxCachedTokens = 1_000;

interface Verified {
  authorization: JwtAuthorization;
  expSeconds: number;
  nbfSeconds: number;
}

export function createJwtAuthorizer(
  config: JwtAuthorizerConfig,
  now: () => number = Date.now,
): JwtAuthorizer {
  const keys = createRemoteJWKSet(new URL(config.jwksUri));
  const verified = new Map<string, Verified>();
  return async (authorization) => {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (!token) return undefined;
    const cached = verified.get(token);
    if (cached) {
      const nowSeconds = Math.floor(now() / 1000);
      if (nowSeconds < cached.expSeconds && nowSeconds >= cached.nbfSeconds) return cached.authorization;
      verified.delete(token);
      return undefined;
    }
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: config.issuer,
        algorithms: ['RS256'],
        requiredClaims: ['exp'],
        currentDate: new Date(now()),
      });
      if (!audienceMatches(payload, config.audience)) return undefined;
      const claims = Object.fromEntries(
        Object.entries(payload).map(([name, value]) => [name, claimToString(value)]),
      );
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : null;
      const result = { claims, scopes };
      if (verified.size >= maxCachedTokens) verified.delete(verified.keys().next().value!);
      verified.set(token, { authorization: result, expSeconds: payload.exp!, nbfSeconds: payload.nbf ?? 0 });
      return result;
    } catch {
      return undefined;
    }
  };
}
