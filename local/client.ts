/**
 * A small client of Sluice's public interfaces (the Cognito API and the HTTP API), shared by the demo, the
 * benchmarks and the end-to-end tests. It knows nothing about the local cloud's insides.
 */
import { randomUUID } from 'node:crypto';
import {
  AdminConfirmSignUpCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';

/** The parts of `.sluice/endpoints.json` (or a deployed stack's outputs) a client needs. */
export interface ClientEndpoints {
  apiUrl: string;
  cdnUrl: string;
  userPoolId: string;
  userPoolClientId: string;
  region: string;
  cognitoEndpoint?: string;
}

export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export function cognitoClient(endpoints: ClientEndpoints): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint: endpoints.cognitoEndpoint,
    region: endpoints.region,
    credentials: localCredentials,
  });
}

export interface TestUser {
  username: string;
  password: string;
  idToken: string;
  accessToken: string;
  sub: string;
}

/** Signs a new user up and in, the way the web app and the CLI do it. */
export async function signUpAndIn(endpoints: ClientEndpoints, name = 'user'): Promise<TestUser> {
  const cognito = cognitoClient(endpoints);
  const username = `${name}-${randomUUID().slice(0, 8)}@example.com`;
  const password = `Pw-${randomUUID()}-9aA!`;
  const signUp = await cognito.send(
    new SignUpCommand({
      ClientId: endpoints.userPoolClientId,
      Username: username,
      Password: password,
      UserAttributes: [{ Name: 'email', Value: username }],
    }),
  );
  await cognito.send(new AdminConfirmSignUpCommand({ UserPoolId: endpoints.userPoolId, Username: username }));
  const auth = await cognito.send(
    new InitiateAuthCommand({
      ClientId: endpoints.userPoolClientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  );
  const idToken = auth.AuthenticationResult?.IdToken;
  const accessToken = auth.AuthenticationResult?.AccessToken;
  if (!idToken || !accessToken) throw new Error('sign-in returned no tokens');
  return { username, password, idToken, accessToken, sub: signUp.UserSub ?? '' };
}

/** Response bodies are untyped JSON; a caller that wants a type passes one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON of any shape, narrowed by callers
export type Json = any;

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export class Api {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  async request<T = Json>(
    method: string,
    path: string,
    init: { body?: string | Uint8Array; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(new URL(path, this.baseUrl), { method, headers, body: init.body });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: body as T };
  }

  get<T = Json>(path: string) {
    return this.request<T>('GET', path);
  }

  postJson<T = Json>(path: string, value: unknown, contentType = 'application/json') {
    return this.request<T>('POST', path, {
      body: JSON.stringify(value),
      headers: { 'content-type': contentType },
    });
  }

  putJson<T = Json>(path: string, value: unknown) {
    return this.request<T>('PUT', path, {
      body: JSON.stringify(value),
      headers: { 'content-type': 'application/json' },
    });
  }

  /** Polls GET /jobs/{jobId} until the job is SUCCEEDED or FAILED. */
  async waitForJob(jobId: string, timeoutMs = 60_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      const { status, body } = await this.get(`/jobs/${jobId}`);
      last = body;
      if (status === 200 && (body.status === 'SUCCEEDED' || body.status === 'FAILED')) return body;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    throw new Error(`job ${jobId} did not finish in ${timeoutMs} ms; last seen ${JSON.stringify(last)}`);
  }

  /** Polls until `predicate` holds for the job (e.g. it is RUNNING). */
  async waitForJobState(jobId: string, predicate: (job: Json) => boolean, timeoutMs = 30_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { status, body } = await this.get(`/jobs/${jobId}`);
      if (status === 200 && predicate(body)) return body;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`job ${jobId} did not reach the expected state in ${timeoutMs} ms`);
  }
}

export function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'urn:sluice:test',
    type: 'com.example.order.created',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { orderId: randomUUID(), amount: 42 },
    ...overrides,
  };
}
