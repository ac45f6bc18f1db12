/**
 * Secrets Manager, reduced to what Sluice calls: GetSecretValue over the AWS JSON 1.1 protocol
 * (`X-Amz-Target: secretsmanager.GetSecretValue`). Secrets are found by ARN, by name, or by the partial ARN
 * without the random suffix, as the real service does.
 */
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { closeServer, host, listen } from './network';
import type { Meter } from '../meter/meter';

export interface Secret {
  name: string;
  arn: string;
  secretString: string;
  createdDate: Date;
}

export interface SecretsService {
  endpoint: string;
  stop(): Promise<void>;
}

const versionId = randomUUID();

export const secretArn = (region: string, accountId: string, name: string, suffix = 'LoCaL1') =>
  `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${suffix}`;

function find(secrets: Secret[], id: string): Secret | undefined {
  return secrets.find(
    (secret) => secret.arn === id || secret.name === id || secret.arn.replace(/-[A-Za-z0-9]{6}$/, '') === id,
  );
}

export async function startSecretsManager(opts: {
  port: { port: number; fixed: boolean };
  secrets: Secret[];
  meter?: Meter;
}): Promise<SecretsService> {
  const server = createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    opts.meter?.count('secretsmanager', target.slice(target.indexOf('.') + 1) || 'Unknown');
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-requestid': randomUUID(),
        });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || target !== 'secretsmanager.GetSecretValue') {
        return reply(400, {
          __type: 'UnknownOperationException',
          message: `Unsupported operation ${target}`,
        });
      }
      let input: { SecretId?: string };
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        return reply(400, { __type: 'SerializationException', message: 'Malformed JSON' });
      }
      const secret = find(opts.secrets, input.SecretId ?? '');
      if (!secret) {
        return reply(400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        });
      }
      reply(200, {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: versionId,
        SecretString: secret.secretString,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: secret.createdDate.getTime() / 1000,
      });
    });
  });
  const port = await listen(server, opts.port);
  return { endpoint: `http://${host}:${port}`, stop: () => closeServer(server) };
}
