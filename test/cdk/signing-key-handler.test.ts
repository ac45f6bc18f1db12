import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../cdk/custom-resources/signing-key/handler';

const secrets = mockClient(SecretsManagerClient);
const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:SigningKey-abc123';
const physicalId = `cloudfront-signing-key:${secretArn}`;

const common = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
  ResponseURL: 'https://example.com/response',
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Sluice/1',
  RequestId: 'request-1',
  LogicalResourceId: 'SigningKeyKeyPair',
  ResourceType: 'Custom::CloudFrontSigningKey',
  ResourceProperties: { ServiceToken: 'token', SecretArn: secretArn },
};
const create = (): CloudFormationCustomResourceEvent => ({ ...common, RequestType: 'Create' });
const update = (physicalResourceId: string): CloudFormationCustomResourceEvent => ({
  ...common,
  RequestType: 'Update',
  PhysicalResourceId: physicalResourceId,
  OldResourceProperties: { ServiceToken: 'token', SecretArn: secretArn },
});

const publicKeyOf = (privateKeyPem: string) =>
  createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();

/** The secrets PutSecretValue wrote to, in order. */
const putSecretIds = () =>
  secrets.commandCalls(PutSecretValueCommand).map((call) => call.args[0].input.SecretId);

/** The private key the handler wrote into the secret (the one PutSecretValue call). */
function storedPrivateKey(): string {
  const [call] = secrets.commandCalls(PutSecretValueCommand);
  return String(call!.args[0].input.SecretString);
}

beforeEach(() => {
  secrets.reset();
  secrets.on(PutSecretValueCommand).resolves({});
});

describe('signing key custom resource', () => {
  it('on Create stores a new RSA-2048 private key in the secret and returns only its public key', async () => {
    const result = await handler(create());

    expect(putSecretIds()).toEqual([secretArn]);
    const privateKey = storedPrivateKey();
    expect(privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(createPublicKey(privateKey).asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(result.PhysicalResourceId).toBe(physicalId);
    expect(result.Data?.PublicKeyPem).toBe(publicKeyOf(privateKey));
    expect(JSON.stringify(result)).not.toContain('PRIVATE KEY');
  });

  it('generates a different key pair on every Create', async () => {
    const first = await handler(create());
    const second = await handler(create());
    expect(first.Data?.PublicKeyPem).not.toBe(second.Data?.PublicKeyPem);
  });

  it('on Update keeps the stored key pair and returns its public key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    secrets.on(GetSecretValueCommand, { SecretId: secretArn }).resolves({ SecretString: privateKey });

    const result = await handler(update(physicalId));

    expect(result).toEqual({
      PhysicalResourceId: physicalId,
      Data: { PublicKeyPem: publicKeyOf(privateKey) },
    });
    expect(putSecretIds()).toEqual([]);
  });

  it('on Update generates a key pair when the secret still holds its placeholder', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'placeholder0123456789' });

    const result = await handler(update(physicalId));

    expect(putSecretIds()).toEqual([secretArn]);
    expect(result.Data?.PublicKeyPem).toBe(publicKeyOf(storedPrivateKey()));
  });

  it('on Update to a new secret generates into it under a new physical id', async () => {
    const result = await handler(update('cloudfront-signing-key:arn:aws:secretsmanager:old'));

    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(putSecretIds()).toEqual([secretArn]);
    expect(result.PhysicalResourceId).toBe(physicalId);
    expect(result.Data?.PublicKeyPem).toBe(publicKeyOf(storedPrivateKey()));
  });

  it('on Delete touches nothing (deleting the secret deletes the key)', async () => {
    const result = await handler({ ...common, RequestType: 'Delete', PhysicalResourceId: physicalId });

    expect(result).toEqual({ PhysicalResourceId: physicalId });
    expect(secrets.calls()).toHaveLength(0);
  });
});
