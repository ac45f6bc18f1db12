/**
 * CDN cases: paths that try to climb out of the served prefixes to another key (S3 keys are literal: `..`
 * is two dots, never a parent), and signed-URL parameters that are malformed or name prototype members.
 * Each is answered 403 or 404, never with the object and never with a 5xx.
 */

export interface CdnContext {
  sub: string;
  /** A job whose submission object `submissions/<sub>/<jobId>.json` exists. */
  jobId: string;
  /** Path and query of a valid signed PUT URL for a fresh upload (still unused). */
  signedTarget: string;
}

export interface CdnCase {
  name: string;
  request: (ctx: CdnContext) => { method: 'GET' | 'PUT' | 'POST'; target: string };
  /** The statuses the case may answer; the body must never hold the submission. */
  status: number[];
}

const denied = [403];
const deniedOrMissing = [403, 404];

/** The submission's key, its separators written as `slash`. */
const key = (c: CdnContext, slash = '%2F') => `submissions${slash}${c.sub}${slash}${c.jobId}.json`;
const climb = (c: CdnContext, dots: string, slash: string) => `/${dots}${slash}${key(c, slash)}`;

const withParam = (target: string, name: string, value: string): string => {
  const pattern = new RegExp(`([?&])${name}=[^&]*`);
  return pattern.test(target) ? target.replace(pattern, `$1${name}=${value}`) : `${target}&${name}=${value}`;
};

const traversal: CdnCase[] = [
  {
    name: 'GET /..%2Fsubmissions%2F<tenant>%2F<jobId>.json',
    request: (c) => ({ method: 'GET', target: climb(c, '..', '%2F') }),
    status: deniedOrMissing,
  },
  {
    name: 'GET /..%2fsubmissions… (lower-case escapes)',
    request: (c) => ({ method: 'GET', target: climb(c, '..', '%2f') }),
    status: deniedOrMissing,
  },
  {
    name: 'GET /%2E%2E%2Fsubmissions… (encoded dots)',
    request: (c) => ({ method: 'GET', target: climb(c, '%2E%2E', '%2F') }),
    status: deniedOrMissing,
  },
  {
    name: 'GET /%2e%2e/submissions/… (encoded dots, plain slashes)',
    request: (c) => ({ method: 'GET', target: climb(c, '%2e%2e', '/') }),
    status: deniedOrMissing,
  },
  {
    name: 'GET /../submissions/… (plain dots, sent unnormalized)',
    request: (c) => ({ method: 'GET', target: climb(c, '..', '/') }),
    status: deniedOrMissing,
  },
  {
    name: 'GET /web%2F..%2F..%2Fsubmissions…',
    request: (c) => ({ method: 'GET', target: `/web%2F..%2F..%2F${key(c)}` }),
    status: deniedOrMissing,
  },
  {
    name: 'GET /.%2F..%2Fsubmissions…',
    request: (c) => ({ method: 'GET', target: `/.%2F..%2F${key(c)}` }),
    status: deniedOrMissing,
  },
  {
    name: 'GET /..%5Csubmissions%5C… (backslashes)',
    request: (c) => ({ method: 'GET', target: climb(c, '..', '%5C') }),
    status: deniedOrMissing,
  },
  {
    name: 'GET /submissions/<tenant>/<jobId>.json (outside the web prefix)',
    request: (c) => ({ method: 'GET', target: `/submissions/${c.sub}/${c.jobId}.json` }),
    status: deniedOrMissing,
  },
  {
    name: 'GET /uploads/..%2F..%2Fsubmissions… without a signature',
    request: (c) => ({ method: 'GET', target: `/uploads/..%2F..%2F${key(c)}` }),
    status: denied,
  },
  {
    name: 'GET a signed upload URL whose path climbs to the submission',
    request: (c) => {
      const [path = '', query = ''] = c.signedTarget.split('?');
      const dir = path.slice(0, path.lastIndexOf('/'));
      return { method: 'GET', target: `${dir}/..%2F..%2F..%2F${key(c)}?${query}` };
    },
    status: denied,
  },
  {
    name: 'GET the signed upload URL itself (the distribution may only PUT under uploads/)',
    request: (c) => ({ method: 'GET', target: c.signedTarget }),
    status: denied,
  },
  {
    name: 'POST a file to the signed upload URL (S3 writes an object only on PUT)',
    request: (c) => ({ method: 'POST', target: c.signedTarget }),
    status: [405],
  },
  {
    name: 'GET /..%2F..%2F..%2Fetc%2Fpasswd',
    request: () => ({ method: 'GET', target: '/..%2F..%2F..%2F..%2Fetc%2Fpasswd' }),
    status: deniedOrMissing,
  },
  {
    name: 'GET a path with a bad % escape',
    request: (c) => ({ method: 'GET', target: `/..%2Fsubmissions%2F${c.sub}%ZZ` }),
    status: [400, 403, 404],
  },
];

const signing: CdnCase[] = [
  ...['constructor', '__proto__', 'hasOwnProperty', 'toString', 'valueOf'].map((keyPairId): CdnCase => ({
    name: `PUT with Key-Pair-Id=${keyPairId}`,
    request: (c) => ({ method: 'PUT', target: withParam(c.signedTarget, 'Key-Pair-Id', keyPairId) }),
    status: denied,
  })),
  {
    name: 'PUT with Key-Pair-Id=%C0%AF (an invalid UTF-8 escape)',
    request: (c) => ({ method: 'PUT', target: withParam(c.signedTarget, 'Key-Pair-Id', '%C0%AF') }),
    status: denied,
  },
  {
    name: 'PUT with a truncated % escape in Signature',
    request: (c) => ({ method: 'PUT', target: withParam(c.signedTarget, 'Signature', '%E0%A4%A') }),
    status: denied,
  },
  {
    name: 'PUT with a lone % as Signature',
    request: (c) => ({ method: 'PUT', target: withParam(c.signedTarget, 'Signature', '%') }),
    status: denied,
  },
  {
    name: 'PUT with Expires=%FF',
    request: (c) => ({ method: 'PUT', target: withParam(c.signedTarget, 'Expires', '%FF') }),
    status: denied,
  },
  {
    name: 'PUT with an added Policy=%ZZ',
    request: (c) => ({ method: 'PUT', target: withParam(c.signedTarget, 'Policy', '%ZZ') }),
    status: denied,
  },
  {
    name: 'PUT with a Policy that is base64 of junk',
    request: (c) => ({ method: 'PUT', target: withParam(c.signedTarget, 'Policy', 'bm90IGpzb24_') }),
    status: denied,
  },
];

export const cdnCases: CdnCase[] = [...traversal, ...signing];
