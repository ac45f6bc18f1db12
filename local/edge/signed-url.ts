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

/** Splits a request URL into the signing parameters and the URL without them (what the policy covers). */
export function splitSignedUrl(url: string): { resource: string; params: Record<string, string> } {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return { resource: url, params: {} };
  const params: Record<string, string> = {};
  const kept: string[] = [];
  for (const pair of url.slice(queryStart + 1).split('&')) {
    if (!pair) continue;
    const [name = '', ...rest] = pair.split('=');
    if (signingParams.has(name)) params[name] = decodeURIComponent(rest.join('='));
    else kept.push(pair);
  }
  return { resource: url.slice(0, queryStart) + (kept.length ? `?${kept.join('&')}` : ''), params };
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
  const list = new BlockList();
  list.addSubnet(address, Number(bits), 'ipv4');
  return list.check(ip, 'ipv4');
}

interface PolicyStatement {
  Resource?: string;
  Condition?: {
    DateLessThan?: { 'AWS:EpochTime'?: number };
    DateGreaterThan?: { 'AWS:EpochTime'?: number };
    IpAddress?: { 'AWS:SourceIp'?: string };
  };
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
  const { resource, params } = splitSignedUrl(request.url);
  const keyPairId = params['Key-Pair-Id'];
  const signature = params.Signature;
  if (!keyPairId || !signature || (params.Expires === undefined && params.Policy === undefined)) {
    return { ok: false, code: 'MissingKey', message: 'Missing Key-Pair-Id query parameter or cookie value' };
  }
  const key = request.trustedKeys[keyPairId];
  if (!key) return { ok: false, code: 'InvalidKey', message: 'Unknown Key' };

  let policyText: string;
  if (params.Policy !== undefined) {
    policyText = decodeCloudFrontBase64(params.Policy).toString('utf8');
  } else {
    if (!/^\d+$/.test(params.Expires!))
      return { ok: false, code: 'MalformedPolicy', message: 'Malformed Policy' };
    policyText = cannedPolicy(resource, Number(params.Expires));
  }
  let statement: PolicyStatement | undefined;
  try {
    statement = (JSON.parse(policyText) as { Statement?: PolicyStatement[] }).Statement?.[0];
  } catch {
    statement = undefined;
  }
  const dateLessThan = statement?.Condition?.DateLessThan?.['AWS:EpochTime'];
  if (!statement || typeof dateLessThan !== 'number') {
    return { ok: false, code: 'MalformedPolicy', message: 'Malformed Policy' };
  }

  const algorithm = params['Hash-Algorithm'] === 'SHA256' ? 'RSA-SHA256' : 'RSA-SHA1';
  const publicKey = typeof key === 'string' ? createPublicKey(key) : key;
  if (!verify(algorithm, Buffer.from(policyText), publicKey, decodeCloudFrontBase64(signature)))
    return denied;

  const now = request.nowSeconds ?? Math.floor(Date.now() / 1000);
  const { DateGreaterThan, IpAddress } = statement.Condition ?? {};
  if (statement.Resource !== undefined && !resourceMatches(statement.Resource, resource)) return denied;
  if (now >= dateLessThan) return denied;
  if (DateGreaterThan?.['AWS:EpochTime'] !== undefined && now <= DateGreaterThan['AWS:EpochTime'])
    return denied;
  if (IpAddress?.['AWS:SourceIp'] && !ipAllowed(IpAddress['AWS:SourceIp'], request.sourceIp)) return denied;
  return { ok: true };
}
