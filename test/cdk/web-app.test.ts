/**
 * The web app's deployment asset, bundled as `cdk synth` does (the stack tests skip bundling): the built app,
 * and config.json holding exactly the configuration it is given.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebApp, type WebAppConfig } from '../../cdk/constructs/web-app';

const config: WebAppConfig = {
  apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_AbCdEf',
  userPoolClientId: 'client123',
};

describe('web app asset (bundled at synth)', () => {
  let outdir: string;
  let assets: Map<string, string[]>;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'sluice-web-synth-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'Web', { env: { account: '123456789012', region: 'eu-west-1' } });
    const bucket = new s3.Bucket(stack, 'Bucket');
    const distribution = new cloudfront.Distribution(stack, 'Distribution', {
      defaultBehavior: { origin: S3BucketOrigin.withOriginAccessControl(bucket, { originPath: '/web' }) },
    });
    const dataKey = new kms.Key(stack, 'Key');
    const dataKeyAlias = new kms.Alias(stack, 'Alias', { aliasName: 'alias/web', targetKey: dataKey });
    new WebApp(stack, 'WebApp', { bucket, dataKey, dataKeyAlias, distribution, config });
    const assembly = app.synth();
    assets = new Map(
      readdirSync(assembly.directory)
        .filter((name) => name.startsWith('asset.') && statSync(join(assembly.directory, name)).isDirectory())
        .map((name) => [name, readdirSync(join(assembly.directory, name)).sort()]),
    );
  });

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const assetHolding = (file: string) => {
    const found = [...assets].filter(([, files]) => files.includes(file));
    expect(found).toHaveLength(1);
    return join(outdir, found[0]![0]);
  };

  it('holds the built app: the page, one script bundle and one stylesheet', () => {
    const dir = assetHolding('index.html');
    expect(readdirSync(dir).sort()).toEqual(['app.css', 'app.js', 'index.html']);
    const page = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(page).toMatch(/<script[^>]+src="\.?\/?app\.js"/);
    expect(readFileSync(join(dir, 'app.js'), 'utf8')).toContain('config.json');
    // Built for AWS: the page may call HTTPS endpoints, not the loopback ones of the local cloud.
    const csp = /connect-src ([^;]*);/.exec(page)?.[1];
    expect(csp).toBe("'self' https:");
  });

  it('writes config.json with exactly the given configuration, beside the app', () => {
    const dir = assetHolding('config.json');
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual(config);
  });
});
