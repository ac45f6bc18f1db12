/**
 * Deploy-time custom resource (not part of the pipeline): the CloudFront key pair that signs upload URLs.
 * Create generates an RSA-2048 pair, writes the private key PEM into the secret and returns only the public
 * key. Update returns the public key of the stored private key, so the key pair survives stack updates.
 * The private key is never returned or logged.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

export interface SigningKeyResponse {
  PhysicalResourceId: string;
  Data?: { PublicKeyPem: string };
}

const secrets = new SecretsManagerClient({});

export async function handler(event: CloudFormationCustomResourceEvent): Promise<SigningKeyResponse> {
  const secretArn = String(event.ResourceProperties.SecretArn);
  // A new secret (a replaced SigningKey) gets a new physical id, so CloudFormation retires the old one.
  const physicalId = `cloudfront-signing-key:${secretArn}`;
  switch (event.RequestType) {
    case 'Create':
      return { PhysicalResourceId: physicalId, Data: { PublicKeyPem: await generateInto(secretArn) } };
    case 'Update': {
      const publicKeyPem =
        event.PhysicalResourceId === physicalId ? await storedPublicKey(secretArn) : undefined;
      return {
        PhysicalResourceId: physicalId,
        Data: { PublicKeyPem: publicKeyPem ?? (await generateInto(secretArn)) },
      };
    }
    case 'Delete':
      // The secret is a resource of its own; deleting it deletes the private key.
      return { PhysicalResourceId: event.PhysicalResourceId };
  }
}

/** Generates a key pair, stores the private key PEM in the secret and returns the public key PEM. */
async function generateInto(secretArn: string): Promise<string> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  await secrets.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: privateKey }));
  return publicKey;
}

/** The public key of the private key in the secret, or undefined when the secret holds no key yet. */
async function storedPublicKey(secretArn: string): Promise<string | undefined> {
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!SecretString?.includes('PRIVATE KEY')) return undefined;
  return createPublicKey(SecretString).export({ type: 'spki', format: 'pem' }).toString();
}
