/**
 * The CloudFront signing key pair for upload URLs, generated on first start into <dataDir>/keys (the private
 * key readable by the owner only; never part of the repository), with a fixed local key pair id.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';

export interface SigningKey {
  keyPairId: string;
  privateKeyPem: string;
  publicKeyPem: string;
}

export function ensureSigningKey(dir: string): SigningKey {
  const files = {
    privateKey: join(dir, 'private.pem'),
    publicKey: join(dir, 'public.pem'),
    id: join(dir, 'key-pair-id'),
  };
  if (!existsSync(files.privateKey) || !existsSync(files.publicKey) || !existsSync(files.id)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    writeFileSync(files.privateKey, privateKey, { mode: 0o600 });
    chmodSync(files.privateKey, 0o600);
    writeFileSync(files.publicKey, publicKey);
    writeFileSync(files.id, `K-LOCAL-${randomBytes(4).toString('hex').toUpperCase()}`);
  }
  return {
    keyPairId: readFileSync(files.id, 'utf8').trim(),
    privateKeyPem: readFileSync(files.privateKey, 'utf8'),
    publicKeyPem: readFileSync(files.publicKey, 'utf8'),
  };
}
