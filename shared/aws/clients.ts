/**
 * One place that builds AWS SDK v3 clients. Endpoints come from the SDK's own AWS_ENDPOINT_URL_<SERVICE>
 * variables (set by the local cloud, absent in AWS); S3_FORCE_PATH_STYLE=true selects path-style addressing
 * for S3 emulators on 127.0.0.1. Clients are created once per execution environment and reused.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { tracer } from './observability';

const cache = new Map<string, unknown>();

function once<T>(key: string, make: () => T): T {
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key) as T;
}

export const dynamoDb = (): DynamoDBDocumentClient =>
  once('dynamodb', () =>
    DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    }),
  );

export const s3 = (): S3Client =>
  once('s3', () =>
    tracer.captureAWSv3Client(new S3Client({ forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true' })),
  );

export const sqs = (): SQSClient => once('sqs', () => tracer.captureAWSv3Client(new SQSClient({})));

export const sfn = (): SFNClient => once('sfn', () => tracer.captureAWSv3Client(new SFNClient({})));

export const secretsManager = (): SecretsManagerClient =>
  once('secretsmanager', () => tracer.captureAWSv3Client(new SecretsManagerClient({})));

/** Tests call this between cases so each builds clients against its own mocks. */
export function resetClients(): void {
  cache.clear();
}
