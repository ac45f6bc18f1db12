/**
 * Cognito: cognito-local as a child process (HOST/PORT env, data under <dir>/.cognito), with the user pool and
 * app client created on first start and their ids kept in <dir>/pool.json for the next starts. Tokens are
 * signed with cognito-local's key; the issuer is http://127.0.0.1:<port>/<userPoolId>.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolClientCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { freePort, host } from './network';
import { localCredentials } from './credentials';
import { childStartTimeoutMs, spawnNodeChild, stopChild } from './child-process';

export interface CognitoService {
  endpoint: string;
  /** cognito-local's child process. */
  pid: number;
  userPoolId: string;
  userPoolClientId: string;
  issuer: string;
  jwksUri: string;
  stop(): Promise<void>;
}

const startScript = createRequire(import.meta.url).resolve('cognito-local/lib/bin/start.js');

export async function startCognito(opts: {
  dir: string;
  port: { port: number; fixed: boolean };
  region: string;
  log: (line: string) => void;
}): Promise<CognitoService> {
  mkdirSync(opts.dir, { recursive: true });
  const port = await freePort(opts.port);
  const endpoint = `http://${host}:${port}`;
  const child = spawnNodeChild({
    script: 'require(process.argv[1]);',
    args: [startScript],
    cwd: opts.dir,
    env: { HOST: host, PORT: String(port), AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1' },
    label: 'cognito',
    log: opts.log,
  });
  const stop = () => stopChild(child);
  try {
    await waitForHealth(endpoint, child);
    const pool = await ensurePool(endpoint, opts.region, join(opts.dir, 'pool.json'));
    const issuer = `${endpoint}/${pool.userPoolId}`;
    return { endpoint, pid: child.pid!, ...pool, issuer, jwksUri: `${issuer}/.well-known/jwks.json`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForHealth(
  endpoint: string,
  child: ChildProcess,
  timeoutMs = childStartTimeoutMs,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`cognito-local exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`cognito-local did not answer on ${endpoint} within ${timeoutMs} ms`);
}

/** Closing its stdin ends the child (see `watchdog`); SIGKILL if it does not go within 3 s. */

/** The user pool as cdk/constructs/auth.ts defines it: email sign-in, its password policy, a public client. */
async function ensurePool(endpoint: string, region: string, file: string) {
  const client = new CognitoIdentityProviderClient({ endpoint, region, credentials: localCredentials });
  try {
    if (existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as {
        userPoolId: string;
        userPoolClientId: string;
      };
      try {
        await client.send(
          new DescribeUserPoolClientCommand({
            UserPoolId: saved.userPoolId,
            ClientId: saved.userPoolClientId,
          }),
        );
        return saved;
      } catch {
        // the pool is gone (its data was removed): make a new one
      }
    }
    const pool = await client.send(
      new CreateUserPoolCommand({
        PoolName: 'sluice-users',
        UsernameAttributes: ['email'],
        AutoVerifiedAttributes: ['email'],
        Policies: {
          PasswordPolicy: {
            MinimumLength: 12,
            RequireLowercase: true,
            RequireUppercase: true,
            RequireNumbers: true,
            RequireSymbols: true,
          },
        },
      }),
    );
    const userPoolId = pool.UserPool!.Id!;
    const appClient = await client.send(
      new CreateUserPoolClientCommand({
        UserPoolId: userPoolId,
        ClientName: 'sluice-web',
        GenerateSecret: false,
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        PreventUserExistenceErrors: 'ENABLED',
      }),
    );
    const saved = { userPoolId, userPoolClientId: appClient.UserPoolClient!.ClientId! };
    writeFileSync(file, JSON.stringify(saved, null, 2));
    return saved;
  } finally {
    client.destroy();
  }
}
