import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { startLocalCloud, type LocalCloud } from '../../local/cloud';
import { createConfirmedUser } from '../../local/services/cognito-users';
import { localCredentials } from '../../local/services/credentials';
import { closeServer, listen } from '../../local/services/network';

let dataDir: string;
let cloud: LocalCloud | undefined;
const start = () => startLocalCloud({ dataDir, ports: 'ephemeral', log: () => undefined });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sluice-cloud-'));
  cloud = await start();
}, 60_000);

afterAll(async () => {
  await cloud?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function signIn(email: string, password: string): Promise<string> {
  const { endpoints } = cloud!;
  const cognito = new CognitoIdentityProviderClient({
    endpoint: endpoints.cognitoEndpoint,
    region: endpoints.region,
    credentials: localCredentials,
  });
  const auth = await cognito.send(
    new InitiateAuthCommand({
      ClientId: endpoints.userPoolClientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: email, PASSWORD: password },
    }),
  );
  return auth.AuthenticationResult!.IdToken!;
}

describe('the local cloud', () => {
  it('listens on 127.0.0.1 only and records its endpoints in endpoints.json', () => {
    const { endpoints } = cloud!;
    expect(JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8'))).toEqual(endpoints);
    const urls = [endpoints.apiUrl, endpoints.cdnUrl, endpoints.cognitoEndpoint, endpoints.sfnEndpoint];
    urls.push(
      endpoints.s3Endpoint,
      endpoints.sqsEndpoint,
      endpoints.dynamodbEndpoint,
      endpoints.secretsManagerEndpoint,
    );
    for (const url of urls) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(endpoints.stateMachineArn).toBe(
      'arn:aws:states:us-east-1:000000000000:stateMachine:sluice-ingest',
    );
    expect(statSync(join(dataDir, 'keys', 'private.pem')).mode & 0o777).toBe(0o600);
  });

  it('serves the signing key through GetSecretValue, and nothing else', async () => {
    const secrets = new SecretsManagerClient({
      endpoint: cloud!.endpoints.secretsManagerEndpoint,
      region: 'us-east-1',
      credentials: localCredentials,
    });
    const secret = await secrets.send(new GetSecretValueCommand({ SecretId: 'sluice-signing-key' }));
    expect(secret.SecretString).toBe(readFileSync(join(dataDir, 'keys', 'private.pem'), 'utf8'));
    expect(secret.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:sluice-signing-key-\w{6}$/,
    );
    await expect(secrets.send(new GetSecretValueCommand({ SecretId: 'other' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('injects faults into functions behind the API', async () => {
    cloud!.faults.inject({ function: 'health', errorType: 'Lambda.ServiceException', times: 1 });
    const failed = await fetch(`${cloud!.endpoints.apiUrl}/health`);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ message: 'Internal Server Error' });
    expect((await fetch(`${cloud!.endpoints.apiUrl}/health`)).status).toBe(200);
  });

  it('keeps users, pool, ports and tokens across a restart', async () => {
    const email = `restart-${Date.now()}@example.com`;
    const password = 'Restart-Passw0rd!';
    await createConfirmedUser({ ...cloud!.endpoints, email, password });
    const token = await signIn(email, password);
    const before = cloud!.endpoints;
    const jobs = () =>
      fetch(`${cloud!.endpoints.apiUrl}/jobs`, { headers: { authorization: `Bearer ${token}` } });
    expect((await jobs()).status).toBe(200);

    await cloud!.stop();
    cloud = await start();
    expect(cloud.endpoints).toEqual(before);
    expect((await jobs()).status).toBe(200);
    expect(await signIn(email, password)).toEqual(expect.any(String));
  }, 60_000);
});

/**
 * A port base whose nine ports (API … console) are all free right now, its first one held by `blocker`: an
 * OS-chosen port alone says nothing of the eight after it, which other processes may hold.
 */
async function blockedBase(blocker: ReturnType<typeof createServer>): Promise<number> {
  for (;;) {
    const base = await listen(blocker, { port: 0, fixed: false });
    const probes = Array.from({ length: 8 }, () => createServer());
    const free = await Promise.all(
      probes.map((probe, i) =>
        listen(probe, { port: base + 1 + i, fixed: true }).then(
          () => true,
          () => false,
        ),
      ),
    );
    await Promise.all(probes.map((probe) => closeServer(probe)));
    if (free.every(Boolean)) return base;
    await closeServer(blocker);
  }
}

describe('starting on fixed ports', () => {
  it('fails with a clear message when a port is taken, leaving nothing behind to block a retry', async () => {
    const blocker = createServer();
    const base = await blockedBase(blocker); // the API's port (offset 0) is taken, the others free
    const otherDir = mkdtempSync(join(tmpdir(), 'sluice-cloud-fixed-'));
    const startFixed = () => startLocalCloud({ dataDir: otherDir, ports: 'fixed', log: () => undefined });
    vi.stubEnv('SLUICE_PORT_BASE', String(base));
    try {
      await expect(startFixed()).rejects.toThrow(/on 127\.0\.0\.1 is in use/);
      await closeServer(blocker);
      // The same ports and data directory (LevelDB's lock, cognito-local's child) are free again.
      const retried = await startFixed();
      expect(retried.endpoints.apiUrl).toBe(`http://127.0.0.1:${base}`);
      await retried.stop();
    } finally {
      vi.unstubAllEnvs();
      await closeServer(blocker);
      rmSync(otherDir, { recursive: true, force: true });
    }
  }, 60_000);
});
