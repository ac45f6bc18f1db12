/**
 * CloudFront signed URL verification (canned and custom policies), as CloudFront checks them
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-signed-urls.html):
 * the signature over the policy with a trusted key, the policy's resource against the requested URL,
 * DateLessThan, and DateGreaterThan / IpAddress when present.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { BlockList, isIPv4 } from 'node:net';

export type Verdict = { ok: true } | { ok: false; code: string; message: string };

const signingParams = new Set(['Expires', 'Policy', 'Signature', 'Key-Pair-Id', 'Hash-Algorithm']);

/** CloudFront's URL-safe base64: '-' for '+', '_' for '=', '~' for '/'. */
export function decodeCloudFrontBase64(value: string): Buffer {
  return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');
}

/** The canned policy exactly as CloudFront (and @aws-sdk/cloudfront-signer) writes it. */
export const cannedPolicy = (resource: string, expires: number) =>
  JSON.stringify({
    Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': expires } } }],
  });

/**
 * Splits a request URL into the signing parameters and the URL without them (what the policy covers).
 * `malformed`: a signing parameter given twice or with a broken `%` escape (CloudFront answers 403).
 */
export function splitSignedUrl(url: string): {
  resource: string;
  params: Record<string, string>;
  malformed: boolean;
} {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return { resource: url, params: {}, malformed: false };
  const params: Record<string, string> = {};
  const kept: string[] = [];
  let malformed = false;
  for (const pair of url.slice(queryStart + 1).split('&')) {
    if (!pair) continue;
    const [name = '', ...rest] = pair.split('=');
    if (!signingParams.has(name)) {
      kept.push(pair);
      continue;
    }
    const value = decodeParam(rest.join('='));
    if (value === undefined || Object.hasOwn(params, name)) malformed = true;
    else params[name] = value;
  }
  return {
    resource: url.slice(0, queryStart) + (kept.length ? `?${kept.join('&')}` : ''),
    params,
    malformed,
  };
}

function decodeParam(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Policy resources may use `*` (any characters) and `?` (one character). */
export function resourceMatches(pattern: string, url: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(url);
}

function ipAllowed(cidr: string, ip: string): boolean {
  const [address = '', bits = '32'] = cidr.split('/');
  if (!isIPv4(address) || !isIPv4(ip)) return false;
  const prefix = Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) return false;
  const list = new BlockList();
  list.addSubnet(address, prefix, 'ipv4');
  return list.check(ip, 'ipv4');
}

interface PolicyStatement {
  Resource?: string;
  Condition: {
    DateLessThan: { 'AWS:EpochTime': number };
    DateGreaterThan?: { 'AWS:EpochTime': number };
    IpAddress?: { 'AWS:SourceIp': string };
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An optional `{ <name>: <typeof> }` condition block. */
const conditionHolds = (block: unknown, name: string, type: 'number' | 'string') =>
  block === undefined || (isObject(block) && typeof block[name] === type);

/** The policy's one statement when its JSON has the shape CloudFront requires, else undefined. */
function parsePolicy(text: string): PolicyStatement | undefined {
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(policy) || !Array.isArray(policy.Statement) || policy.Statement.length !== 1)
    return undefined;
  const statement: unknown = policy.Statement[0];
  if (!isObject(statement) || !isObject(statement.Condition)) return undefined;
  if (statement.Resource !== undefined && typeof statement.Resource !== 'string') return undefined;
  const { DateLessThan, DateGreaterThan, IpAddress } = statement.Condition;
  if (!isObject(DateLessThan) || typeof DateLessThan['AWS:EpochTime'] !== 'number') return undefined;
  if (!conditionHolds(DateGreaterThan, 'AWS:EpochTime', 'number')) return undefined;
  if (!conditionHolds(IpAddress, 'AWS:SourceIp', 'string')) return undefined;
  return statement as unknown as PolicyStatement;
}

function signatureValid(
  algorithm: string,
  policy: string,
  key: string | KeyObject,
  signature: string,
): boolean {
  try {
    const publicKey = typeof key === 'string' ? createPublicKey(key) : key;
    return verify(algorithm, Buffer.from(policy), publicKey, decodeCloudFrontBase64(signature));
  } catch {
    return false;
  }
}

const denied: Verdict = { ok: false, code: 'AccessDenied', message: 'Access denied' };

export function verifySignedUrl(request: {
  /** The full URL as requested: scheme, host (the Host header), path and query, still encoded. */
  url: string;
  sourceIp: string;
  /** Key pair id → public key (PEM or KeyObject) of the trusted key group. */
  trustedKeys: Record<string, string | KeyObject>;
  nowSeconds?: number;
}): Verdict {
  const { resource, params, malformed } = splitSignedUrl(request.url);
  if (malformed) return denied;
  const keyPairId = params['Key-Pair-Id'];
  const signature = params.Signature;
  if (!keyPairId || !signature || (params.Expires === undefined && params.Policy === undefined)) {
    return { ok: false, code: 'MissingKey', message: 'Missing Key-Pair-Id query parameter or cookie value' };
  }
  // Own properties only: `constructor` or `__proto__` is an unknown key like any other.
  const key = Object.hasOwn(request.trustedKeys, keyPairId) ? request.trustedKeys[keyPairId] : undefined;
  if (!key) return { ok: false, code: 'InvalidKey', message: 'Unknown Key' };

  let policyText: string;
  if (params.Policy !== undefined) {
    policyText = decodeCloudFrontBase64(params.Policy).toString('utf8');
  } else {
    if (!/^\d+$/.test(params.Expires!))
      return { ok: false, code: 'MalformedPolicy', message: 'Malformed Policy' };
    policyText = cannedPolicy(resource, Number(params.Expires));
  }
  const statement = parsePolicy(policyText);
  if (!statement) return { ok: false, code: 'MalformedPolicy', message: 'Malformed Policy' };
  const dateLessThan = statement.Condition.DateLessThan['AWS:EpochTime'];

  const algorithm = params['Hash-Algorithm'] === 'SHA256' ? 'RSA-SHA256' : 'RSA-SHA1';
  if (!signatureValid(algorithm, policyText, key, signature)) return denied;

  const now = request.nowSeconds ?? Math.floor(Date.now() / 1000);
  const { DateGreaterThan, IpAddress } = statement.Condition;
  if (statement.Resource !== undefined && !resourceMatches(statement.Resource, resource)) return denied;
  if (now >= dateLessThan) return denied;
  if (DateGreaterThan?.['AWS:EpochTime'] !== undefined && now <= DateGreaterThan['AWS:EpochTime'])
    return denied;
  if (IpAddress?.['AWS:SourceIp'] && !ipAllowed(IpAddress['AWS:SourceIp'], request.sourceIp)) return denied;
  return { ok: true };
}
