/**
 * ListObjectsV2 for s3rver, installed in the S3 child process (CommonJS source; expects `module`, the resolved
 * path of s3rver's main file, in scope). s3rver 3.7 answers every truncated ListObjectsV2 with a 500: its
 * continuation token is DES-encrypted, and OpenSSL 3 (Node 17+) refuses DES. It also walks the bucket directory
 * in file-name order, which is not key order (`a/b` is a directory `a` listed before the file of `a-b`), so a
 * truncated page could skip keys. This listing follows S3's rules instead: keys in UTF-8 byte order; `MaxKeys`
 * (at most 1,000) counts keys and common prefixes together; `KeyCount` is both; the continuation token is opaque
 * and resumes after the last key or common prefix returned; `StartAfter` is echoed when sent. ListObjects (v1) is
 * left to s3rver.
 */
export const s3ListObjectsV2Script = `
(() => {
  const s3rverRequire = require('node:module').createRequire(module);
  const bucketController = s3rverRequire('./controllers/bucket');
  const S3Error = s3rverRequire('./models/error');
  const S3Object = s3rverRequire('./models/object');
  const { DUMMY_ACCOUNT } = s3rverRequire('./models/account');
  const { walk } = s3rverRequire('./utils');
  const objectSuffix = '._S3rver_object';
  const tokenTag = 'sluice-list-v2\\n';

  const invalidArgument = (message, name, value) =>
    new S3Error('InvalidArgument', message, value === undefined ? { ArgumentName: name } : { ArgumentName: name, ArgumentValue: value });

  const encodeToken = (bucket, after) => Buffer.from(tokenTag + bucket + '\\n' + after, 'utf8').toString('base64');
  const decodeToken = (bucket, token) => {
    const text = Buffer.from(token, 'base64').toString('utf8');
    const head = tokenTag + bucket + '\\n';
    if (!text.startsWith(head)) throw invalidArgument('The continuation token provided is incorrect', 'continuation-token');
    return text.slice(head.length);
  };

  const utf8Order = (a, b) => Buffer.compare(a.bytes, b.bytes);

  /** Every key under the prefix, in S3's order (UTF-8 bytes), skipping directories outside the prefix. */
  const sortedKeys = (bucketPath, prefix) => {
    const keys = [];
    const intersects = (dirPath) => {
      const dir = dirPath.slice(bucketPath.length + 1) + '/';
      return dir.startsWith(prefix) || prefix.startsWith(dir);
    };
    for (const filePath of walk(bucketPath, intersects)) {
      if (!filePath.endsWith(objectSuffix)) continue;
      const key = filePath.slice(bucketPath.length + 1, -objectSuffix.length);
      if (key.startsWith(prefix)) keys.push({ key, bytes: Buffer.from(key, 'utf8') });
    }
    return keys.sort(utf8Order);
  };

  const maxKeysOf = (query) => {
    const text = query['max-keys'];
    if (!text) return 1000;
    if (!/^-?\\d+$/.test(text))
      throw invalidArgument('Provided max-keys not an integer or within integer range', 'max-keys', text);
    const value = Number(text);
    if (value < 0 || value > 2147483647)
      throw invalidArgument('Argument maxKeys must be an integer between 0 and 2147483647', 'maxKeys', text);
    return Math.min(1000, value);
  };

  async function listObjectsV2(ctx) {
    const { query } = ctx;
    const bucket = ctx.params.bucket;
    if ('marker' in query)
      throw invalidArgument('Marker unsupported with REST.GET.BUCKET in list-type=2', 'marker');
    const maxKeys = maxKeysOf(query);
    const prefix = query['prefix'] || '';
    const delimiter = query['delimiter'] || '';
    const token = query['continuation-token'];
    const after = Buffer.from(token ? decodeToken(bucket, token) : query['start-after'] || '', 'utf8');

    const page = [];
    let isTruncated = false;
    if (maxKeys > 0) {
      for (const { key, bytes } of sortedKeys(ctx.store.getBucketPath(bucket), prefix)) {
        if (Buffer.compare(bytes, after) <= 0) continue;
        const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
        const entry = cut === -1 ? { key } : { prefix: key.slice(0, cut + delimiter.length) };
        if (entry.prefix !== undefined) {
          if (Buffer.compare(Buffer.from(entry.prefix, 'utf8'), after) <= 0) continue;
          if (page.length && page[page.length - 1].prefix === entry.prefix) continue;
        }
        if (page.length === maxKeys) {
          isTruncated = true;
          break;
        }
        page.push(entry);
      }
    }

    const keys = page.filter((entry) => entry.key !== undefined).map((entry) => entry.key);
    const metadata = await Promise.all(
      keys.map((key) =>
        ctx.store.getMetadata(bucket, key).catch((err) => {
          if (err.code === 'ENOENT') return undefined;
          throw err;
        }),
      ),
    );
    const contents = [];
    keys.forEach((key, i) => {
      if (metadata[i] === undefined) return;
      const object = new S3Object(bucket, key, null, metadata[i]);
      contents.push({
        Key: key,
        LastModified: object.lastModifiedDate.toISOString(),
        ETag: object.metadata['etag'],
        Size: object.size,
        Owner: query['fetch-owner'] === 'true' ? { ID: DUMMY_ACCOUNT.id, DisplayName: DUMMY_ACCOUNT.displayName } : undefined,
        StorageClass: 'STANDARD',
      });
    });
    const commonPrefixes = page.filter((entry) => entry.prefix !== undefined).map((entry) => ({ Prefix: entry.prefix }));
    const last = page[page.length - 1];
    ctx.body = {
      ListBucketResult: {
        '@': { xmlns: 'http://doc.s3.amazonaws.com/2006-03-01/' },
        Name: bucket,
        Prefix: prefix,
        StartAfter: query['start-after'] || undefined,
        ContinuationToken: token || undefined,
        NextContinuationToken: isTruncated ? encodeToken(bucket, last.key ?? last.prefix) : undefined,
        KeyCount: contents.length + commonPrefixes.length,
        MaxKeys: query['max-keys'] || 1000,
        Delimiter: delimiter || undefined,
        IsTruncated: isTruncated,
        Contents: contents,
        CommonPrefixes: commonPrefixes,
      },
    };
  }

  const getBucket = bucketController.getBucket;
  bucketController.getBucket = (ctx) => (ctx.query['list-type'] === '2' ? listObjectsV2(ctx) : getBucket(ctx));
})();
`;
