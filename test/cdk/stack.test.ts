import { readFileSync } from 'node:fs';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type RefName,
  type TableAction,
  corsExposeHeaders,
  executionEnded,
  functionEnvironment,
  functionNames,
  functions,
  ingestQueue,
  resolveSettings,
  routes,
  workflow,
} from '../../cdk/wiring';
import { webAppPrefix } from '../../cdk/constructs/web-app';
import { type Synthesized, synthesize } from './synth';
import {
  actionsOf,
  getAtt,
  onlyId,
  pipelineFunctions,
  ref,
  resourcesOf,
  roleStatements,
  type Statement,
} from './template-queries';

// One synthesis for the whole file, with a setting overridden through context as `cdk deploy -c` would.
const context = { 'sluice:maxRequestBytes': '1234567' };
let synth: Synthesized;
let template: Template;
const ids = {} as Record<
  | 'table'
  | 'bucket'
  | 'logsBucket'
  | 'dataKey'
  | 'logsKey'
  | 'queue'
  | 'dlq'
  | 'executionEndFailures'
  | 'stateMachine'
  | 'distribution'
  | 'publicKey'
  | 'keyGroup'
  | 'secret'
  | 'userPool'
  | 'client'
  | 'api'
  | 'authorizer',
  string
>;

beforeAll(() => {
  synth = synthesize(context);
  template = synth.template;
  const queues = Object.entries(resourcesOf(template, 'AWS::SQS::Queue'));
  const buckets = Object.entries(resourcesOf(template, 'AWS::S3::Bucket'));
  Object.assign(ids, {
    table: onlyId(template, 'AWS::DynamoDB::Table'),
    bucket: buckets.find(([, b]) => b.Properties.LoggingConfiguration)![0],
    logsBucket: buckets.find(([, b]) => !b.Properties.LoggingConfiguration)![0],
    dataKey: Object.keys(resourcesOf(template, 'AWS::KMS::Key')).find((id) =>
      id.startsWith('StorageDataKey'),
    )!,
    logsKey: Object.keys(resourcesOf(template, 'AWS::KMS::Key')).find((id) => id.startsWith('LogsKey'))!,
    queue: queues.find(([, q]) => q.Properties.RedrivePolicy)![0],
    dlq: queues.find(([id]) => id.startsWith('IngestDeadLetterQueue'))![0],
    executionEndFailures: queues.find(([id]) => id.startsWith('WorkflowExecutionEndFailures'))![0],
    stateMachine: onlyId(template, 'AWS::StepFunctions::StateMachine'),
    distribution: onlyId(template, 'AWS::CloudFront::Distribution'),
    publicKey: onlyId(template, 'AWS::CloudFront::PublicKey'),
    keyGroup: onlyId(template, 'AWS::CloudFront::KeyGroup'),
    secret: onlyId(template, 'AWS::SecretsManager::Secret'),
    userPool: onlyId(template, 'AWS::Cognito::UserPool'),
    client: onlyId(template, 'AWS::Cognito::UserPoolClient'),
    api: onlyId(template, 'AWS::ApiGatewayV2::Api'),
    authorizer: onlyId(template, 'AWS::ApiGatewayV2::Authorizer'),
  });
});

const cdnUrl = () => ({ 'Fn::Join': ['', ['https://', getAtt(ids.distribution, 'DomainName')]] });
const sslDeny = (resource: unknown) =>
  Match.objectLike({
    Effect: 'Deny',
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    Resource: resource,
  });
const statementsOf = (name: string): Statement[] =>
  roleStatements(template, pipelineFunctions(template).get(name)!.props.Role);

describe('storage', () => {
  it('is one pay-per-request table with pk/sk, gsi1 (ALL), point-in-time recovery and encryption, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith(
          ['pk', 'sk', 'gsi1pk', 'gsi1sk'].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        ),
        GlobalSecondaryIndexes: [
          {
            IndexName: 'gsi1',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
  });

  it('keeps the data bucket private, SSE-KMS encrypted, versioned, SSL-only and logged, with the work/ and multipart rules', () => {
    template.resourceCountIs('AWS::S3::Bucket', 2);
    const bucket = resourcesOf(template, 'AWS::S3::Bucket')[ids.bucket]!;
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      // The data key by its alias (the key's own ARN would make a dependency cycle through the distribution).
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: {
                'Fn::Join': [
                  '',
                  ['arn:', ref('AWS::Partition'), ':kms:eu-west-1:123456789012:alias/Sluice/data'],
                ],
              },
            },
            BucketKeyEnabled: true,
          },
        ],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: ref(ids.logsBucket) },
    });
    template.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/Sluice/data',
      TargetKeyId: getAtt(ids.dataKey, 'Arn'),
    });
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: { EnableKeyRotation: true },
    });
    expect(bucket.Properties.LifecycleConfiguration).toEqual({
      Rules: expect.arrayContaining([
        expect.objectContaining({ Prefix: 'work/', ExpirationInDays: 7, Status: 'Enabled' }),
        expect.objectContaining({ Prefix: 'uploads/', ExpirationInDays: 7, Status: 'Enabled' }),
        expect.objectContaining({ Prefix: 'submissions/', ExpirationInDays: 30, Status: 'Enabled' }),
        expect.objectContaining({
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          Status: 'Enabled',
        }),
        expect.objectContaining({
          NoncurrentVersionExpiration: { NoncurrentDays: 7 },
          ExpiredObjectDeleteMarker: true,
          Status: 'Enabled',
        }),
      ]),
    });
  });

  it('expires only what jobs read (never reports/ or web/), and never the whole bucket', () => {
    const { Rules } = resourcesOf(template, 'AWS::S3::Bucket')[ids.bucket]!.Properties
      .LifecycleConfiguration as {
      Rules: { Prefix?: string; ExpirationInDays?: number }[];
    };
    const expiring = Rules.filter((rule) => rule.ExpirationInDays !== undefined);
    expect(expiring.map((rule) => rule.Prefix).sort()).toEqual(['submissions/', 'uploads/', 'work/']);
  });

  it('keeps the logs bucket private, SSE-S3 encrypted, versioned and SSL-only, accepting CloudFront log ACLs', () => {
    expect(resourcesOf(template, 'AWS::S3::Bucket')[ids.logsBucket]!.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
      // S3 server access logs can only be delivered to an SSE-S3 bucket.
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: expect.arrayContaining([
          expect.objectContaining({ ExpirationInDays: 90, Status: 'Enabled' }),
          expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 1 } }),
        ]),
      },
    });
  });

  it('lets CloudFront use the data key only for this distribution and this bucket', () => {
    const key = resourcesOf(template, 'AWS::KMS::Key')[ids.dataKey]!;
    const statements = (key.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
    const cloudFront = statements.filter(
      (st) => JSON.stringify(st.Principal) === '{"Service":"cloudfront.amazonaws.com"}',
    );
    expect(cloudFront).toHaveLength(1);
    expect(cloudFront[0]).toMatchObject({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*'],
      Condition: {
        StringEquals: {
          'AWS:SourceArn': expect.anything(),
          'kms:EncryptionContext:aws:s3:arn': getAtt(ids.bucket, 'Arn'),
        },
      },
    });
    expect(JSON.stringify(cloudFront[0]!.Condition)).toContain(`"${ids.distribution}"`);
  });

  it('encrypts every log group with the logs key, usable only by CloudWatch Logs of this account, and keeps a year', () => {
    const logGroups = Object.values(resourcesOf(template, 'AWS::Logs::LogGroup'));
    expect(logGroups.length).toBeGreaterThan(functionNames.length);
    for (const group of logGroups) {
      expect(group.Properties).toMatchObject({ RetentionInDays: 365, KmsKeyId: getAtt(ids.logsKey, 'Arn') });
    }
    const statements = (
      resourcesOf(template, 'AWS::KMS::Key')[ids.logsKey]!.Properties.KeyPolicy as { Statement: Statement[] }
    ).Statement;
    const logs = statements.filter((st) => JSON.stringify(st.Principal).includes('logs.'));
    expect(logs).toHaveLength(1);
    expect(logs[0]!.Condition).toEqual({
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': {
          'Fn::Join': ['', ['arn:', ref('AWS::Partition'), ':logs:eu-west-1:123456789012:log-group:*']],
        },
      },
    });
  });

  it('denies non-TLS access to both buckets', () => {
    for (const id of [ids.bucket, ids.logsBucket]) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: ref(id),
        PolicyDocument: { Statement: Match.arrayWith([sslDeny(Match.arrayWith([getAtt(id, 'Arn')]))]) },
      });
    }
  });
});

describe('queue', () => {
  it('has SSE-SQS, the wiring retention and visibility timeout, and a DLQ after maxReceiveCount', () => {
    template.resourceCountIs('AWS::SQS::Queue', 3); // + the execution-end failures queue (workflow)
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: ingestQueue.visibilityTimeoutSeconds,
      MessageRetentionPeriod: ingestQueue.retentionDays * 86_400,
      RedrivePolicy: {
        deadLetterTargetArn: getAtt(ids.dlq, 'Arn'),
        maxReceiveCount: ingestQueue.maxReceiveCount,
      },
    });
    expect(resourcesOf(template, 'AWS::SQS::Queue')[ids.dlq]!.Properties).toEqual({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: ingestQueue.deadLetterRetentionDays * 86_400,
    });
  });

  it('denies non-TLS access to every queue', () => {
    for (const id of [ids.queue, ids.dlq, ids.executionEndFailures]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(id)],
        PolicyDocument: { Statement: Match.arrayWith([sslDeny(getAtt(id, 'Arn'))]) },
      });
    }
  });

  it('receives ObjectCreated notifications for the upload prefix only, from this bucket only', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: ref(ids.bucket),
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: ingestQueue.uploadPrefix }] } },
            QueueArn: getAtt(ids.queue, 'Arn'),
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(ids.queue)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Action: Match.arrayWith(['sqs:SendMessage']),
            Condition: { ArnLike: { 'aws:SourceArn': getAtt(ids.bucket, 'Arn') } },
          }),
        ]),
      },
    });
  });

  it('feeds the consumer in batches that report item failures', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(ids.queue, 'Arn'),
      FunctionName: ref(pipelineFunctions(template).get(ingestQueue.consumer)!.id),
      BatchSize: ingestQueue.batchSize,
      MaximumBatchingWindowInSeconds: ingestQueue.maxBatchingWindowSeconds,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });
});

describe('functions', () => {
  it('has exactly one Lambda function per wiring function', () => {
    expect([...pipelineFunctions(template).keys()].sort()).toEqual([...functionNames].sort());
  });

  it('runs each on nodejs22.x/arm64 with its wiring tracing (Active unless set), timeout and memory, and its own log group', () => {
    const logGroups = resourcesOf(template, 'AWS::Logs::LogGroup');
    for (const name of functionNames) {
      const { props } = pipelineFunctions(template).get(name)!;
      expect(props).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: functions[name].tracing ?? 'Active' },
        Handler: 'index.handler',
        Timeout: functions[name].timeoutSeconds,
        MemorySize: functions[name].memoryMb,
      });
      expect(logGroups[props.LoggingConfig.LogGroup.Ref]?.Properties.RetentionInDays).toBeGreaterThan(0);
    }
    // Only the API's hot path passes traces through (its sampled traces would cost more than the rest of it).
    expect(functionNames.filter((name) => functions[name].tracing === 'PassThrough')).toEqual([
      'submit-events',
    ]);
  });

  it('logs JSON: application lines at the wiring log level, platform lines at WARN (no START/END/REPORT)', () => {
    for (const name of functionNames) {
      const { props } = pipelineFunctions(template).get(name)!;
      const level = (props.Environment!.Variables as Record<string, string>).POWERTOOLS_LOG_LEVEL;
      expect(level).toBe('INFO');
      expect(props.LoggingConfig).toMatchObject({
        LogFormat: 'JSON',
        ApplicationLogLevel: level,
        SystemLogLevel: 'WARN',
      });
    }
  });

  it('gives each exactly the environment functionEnvironment declares, bound to this stack', () => {
    const bound: Record<RefName, unknown> = {
      tableName: ref(ids.table),
      bucketName: ref(ids.bucket),
      queueUrl: ref(ids.queue),
      stateMachineArn: ref(ids.stateMachine),
      cdnUrl: cdnUrl(),
      signingKeySecretArn: ref(ids.secret),
      signingKeyPairId: ref(ids.publicKey),
      maxReceiveCount: String(ingestQueue.maxReceiveCount),
    };
    const settings = resolveSettings({ maxRequestBytes: context['sluice:maxRequestBytes'] });
    for (const name of functionNames) {
      const expected = functionEnvironment(name, bound as Record<RefName, string>, settings);
      expect(pipelineFunctions(template).get(name)!.props.Environment!.Variables).toEqual(expected);
    }
  });

  it('hands context setting overrides to the functions', () => {
    const submit = pipelineFunctions(template).get('submit-events')!.props.Environment!.Variables;
    expect(submit.MAX_REQUEST_BYTES).toBe('1234567');
  });
});

describe('least privilege', () => {
  const sendsTo = (name: string, queueId: string) =>
    statementsOf(name).some(
      (s) =>
        s.Effect === 'Allow' &&
        [s.Action].flat().includes('sqs:SendMessage') &&
        JSON.stringify(s.Resource) === JSON.stringify(getAtt(queueId, 'Arn')),
    );
  const can = (name: string, action: string) =>
    action === 'sqs:SendMessage to the ingest queue'
      ? sendsTo(name, ids.queue)
      : actionsOf(statementsOf(name)).includes(action);

  it('grants each function what its wiring access says and nothing of what it does not', () => {
    // Exact prefixes and actions per statement: test/cdk/least-privilege.test.ts.
    for (const name of functionNames) {
      const access = functions[name].access;
      // On the whole table or only on some partition keys (the exact keys: test/cdk/least-privilege.test.ts).
      const declares = (action: TableAction) =>
        Boolean(
          access.table?.actions.includes(action) ||
          access.table?.onKeys?.some((keyed) => keyed.actions.includes(action)),
        );
      const expectations: [string, boolean][] = [
        ['dynamodb:Query', declares('Query') || Boolean(access.table?.queryIndexes)],
        ['dynamodb:PutItem', declares('PutItem')],
        ['dynamodb:DeleteItem', declares('DeleteItem')],
        ['dynamodb:Scan', false],
        ['s3:GetObject', (access.bucket?.read?.length ?? 0) > 0],
        ['s3:PutObject', (access.bucket?.write?.length ?? 0) > 0],
        ['s3:DeleteObject', (access.bucket?.delete?.length ?? 0) > 0],
        ['s3:ListBucket', (access.bucket?.list?.length ?? 0) > 0],
        ['sqs:SendMessage to the ingest queue', access.queue === 'send'],
        ['states:StartExecution', access.stateMachine === 'start'],
        ['secretsmanager:GetSecretValue', access.signingKey === 'read'],
      ];
      for (const [action, allowed] of expectations) {
        expect({ name, action, allowed: can(name, action) }).toEqual({ name, action, allowed });
      }
    }
  });

  it('spot checks: readers cannot write, and only the starter starts executions', () => {
    const writes = /^(dynamodb|s3|sqs):.*(Put|Update|Delete|Write|Send)/;
    // The readers' one write is the rate counter, on RATE#* partition keys only (least-privilege.test.ts).
    const unconditioned = (name: string) =>
      actionsOf(statementsOf(name).filter((s) => !s.Condition)).filter((a) => writes.test(a));
    expect(unconditioned('query-events')).toEqual([]);
    expect(unconditioned('read-jobs')).toEqual([]);
    expect(can('read-jobs', 'sqs:SendMessage')).toBe(false);
    // Only the execution-end consumer sends to its failure queue (its on-failure destination).
    for (const name of functionNames) {
      expect({ name, sends: sendsTo(name, ids.executionEndFailures) }).toEqual({
        name,
        sends: name === executionEnded.consumer,
      });
    }
    expect(can('read-jobs', 's3:PutObject')).toBe(false);
    expect(can('create-upload', 's3:PutObject')).toBe(false);
    for (const open of ['health', 'describe-api'] as const) {
      expect(actionsOf(statementsOf(open)).sort()).toEqual(
        [
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
        ].sort(),
      );
    }
    for (const name of functionNames) {
      expect(can(name, 'states:StartExecution')).toBe(functions[name].access.stateMachine === 'start');
    }
  });

  it('scopes grants to this stack\'s resources; only X-Ray gets Resource "*"', () => {
    for (const name of functionNames) {
      const statements = statementsOf(name);
      const starred = statements.filter((s) => s.Resource === '*');
      expect(actionsOf(starred).every((a) => a.startsWith('xray:'))).toBe(true);
      const startExecution = statements.find((s) => [s.Action].flat().includes('states:StartExecution'));
      if (startExecution) expect(startExecution.Resource).toEqual(ref(ids.stateMachine));
      const getSecret = statements.find((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
      if (getSecret) expect(getSecret.Resource).toEqual(ref(ids.secret));
    }
  });

  it('lets each function write only its own log group, with no managed policies', () => {
    for (const name of functionNames) {
      const { props } = pipelineFunctions(template).get(name)!;
      const logs = statementsOf(name).filter((s) => [s.Action].flat().includes('logs:PutLogEvents'));
      expect(logs.map((s) => s.Resource)).toEqual([getAtt(props.LoggingConfig.LogGroup.Ref, 'Arn')]);
      const roleId = (props.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
      expect(resourcesOf(template, 'AWS::IAM::Role')[roleId]!.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('auth', () => {
  it('lets users sign up with their email under a strong password policy', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      UsernameAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      Policies: {
        PasswordPolicy: {
          MinimumLength: Match.anyValue(),
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        },
      },
    });
    const policy = resourcesOf(template, 'AWS::Cognito::UserPool')[ids.userPool]!.Properties.Policies as {
      PasswordPolicy: { MinimumLength: number };
    };
    expect(policy.PasswordPolicy.MinimumLength).toBeGreaterThanOrEqual(8);
  });

  it('has a public app client (no secret) with password, SRP and refresh flows and no OAuth', () => {
    const client = resourcesOf(template, 'AWS::Cognito::UserPoolClient')[ids.client]!.Properties;
    expect(client.GenerateSecret).toBe(false);
    expect([...(client.ExplicitAuthFlows as string[])].sort()).toEqual(
      ['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH'].sort(),
    );
    expect(client.AllowedOAuthFlows).toBeUndefined();
  });
});

describe('HTTP API', () => {
  const routeResources = () => Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route'));

  it('has one route per wiring route, each integrated with its wiring function', () => {
    const integrations = resourcesOf(template, 'AWS::ApiGatewayV2::Integration');
    const byKey = new Map(routeResources().map((r) => [r.Properties.RouteKey as string, r.Properties]));
    expect([...byKey.keys()].sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of routes) {
      const target = byKey.get(`${route.method} ${route.path}`)!.Target as {
        'Fn::Join': [string, unknown[]];
      };
      const integrationId = (target['Fn::Join'][1][1] as { Ref: string }).Ref;
      expect(integrations[integrationId]!.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: getAtt(pipelineFunctions(template).get(route.function)!.id, 'Arn'),
      });
    }
  });

  it('puts every auth route behind the JWT authorizer and leaves the others open', () => {
    for (const route of routes) {
      const props = routeResources().find(
        (r) => r.Properties.RouteKey === `${route.method} ${route.path}`,
      )!.Properties;
      if (route.auth) {
        expect(props).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: ref(ids.authorizer) });
      } else {
        expect(props.AuthorizationType).toBe('NONE');
        expect(props.AuthorizerId).toBeUndefined();
      }
    }
    expect(routes.filter((r) => !r.auth).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /health',
      'GET /openapi.json',
    ]);
  });

  it('accepts tokens of this user pool for this app client', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [ref(ids.client)],
        Issuer: {
          'Fn::Join': [
            '',
            ['https://cognito-idp.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/', ref(ids.userPool)],
          ],
        },
      },
    });
  });

  it('allows the web app origin with the CloudEvents binary-mode headers, without credentials', () => {
    const cors = resourcesOf(template, 'AWS::ApiGatewayV2::Api')[ids.api]!.Properties
      .CorsConfiguration as Record<string, unknown>;
    expect(cors.AllowOrigins).toEqual([cdnUrl()]);
    expect(cors.AllowHeaders).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'ce-specversion']),
    );
    expect(cors.AllowMethods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'OPTIONS']));
    expect(cors.AllowCredentials).toBeUndefined();
    // The web app reads the job link and the rate-limit fields; the local gateway exposes the same list.
    expect(cors.ExposeHeaders).toEqual(corsExposeHeaders);
    expect(corsExposeHeaders).toEqual(
      expect.arrayContaining(['location', 'retry-after', 'ratelimit-policy', 'ratelimit']),
    );
  });

  it('expires the rate counters with the table TTL attribute', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
  });

  it('auto-deploys a throttled $default stage with JSON access logs', () => {
    const stage = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Stage'))[0]!.Properties as {
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': string[] }; Format: string };
      [key: string]: unknown;
    };
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    expect(stage).toMatchObject({ StageName: '$default', AutoDeploy: true, ApiId: ref(ids.api) });
    expect(stage.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: expect.any(Number),
      ThrottlingBurstLimit: expect.any(Number),
    });
    expect(JSON.parse(stage.AccessLogSettings.Format)).toMatchObject({ requestId: '$context.requestId' });
    const logGroupId = stage.AccessLogSettings.DestinationArn['Fn::GetAtt'][0]!;
    expect(resourcesOf(template, 'AWS::Logs::LogGroup')[logGroupId]).toBeDefined();
  });
});

describe('web app deployment', () => {
  const deployment = () => {
    const found = Object.values(resourcesOf(template, 'Custom::CDKBucketDeployment'));
    expect(found).toHaveLength(1);
    return found[0]!.Properties as Record<string, unknown>;
  };

  it('copies the built app and config.json to the prefix the distribution serves, pruning old files', () => {
    expect(deployment()).toMatchObject({
      DestinationBucketName: ref(ids.bucket),
      DestinationBucketKeyPrefix: `${webAppPrefix}`,
      Prune: true,
      SystemMetadata: { 'cache-control': 'no-cache' },
    });
    expect(deployment().SourceObjectKeys).toHaveLength(2); // the built app and config.json
    const { Origins } = resourcesOf(template, 'AWS::CloudFront::Distribution')[ids.distribution]!.Properties
      .DistributionConfig as { Origins: { OriginPath?: string }[] };
    expect(Origins.map((origin) => origin.OriginPath)).toContain(`/${webAppPrefix.replace(/\/$/, '')}`);
  });

  it('invalidates the distribution after each deployment', () => {
    expect(deployment()).toMatchObject({ DistributionId: ref(ids.distribution), DistributionPaths: ['/*'] });
  });

  it("writes config.json from the stack's own API, user pool and client (deploy-time values, never baked in)", () => {
    const markers = (deployment().SourceMarkers as Record<string, unknown>[]).flatMap((m) =>
      Object.values(m),
    );
    expect(markers).toEqual(
      expect.arrayContaining([getAtt(ids.api, 'ApiEndpoint'), ref(ids.userPool), ref(ids.client)]),
    );
  });
});

describe('CDN and signing key', () => {
  const config = () =>
    resourcesOf(template, 'AWS::CloudFront::Distribution')[ids.distribution]!.Properties
      .DistributionConfig as {
      DefaultCacheBehavior: Record<string, unknown>;
      CacheBehaviors: Record<string, unknown>[];
      Origins: { Id: string; OriginPath?: string; OriginAccessControlId: unknown }[];
      [key: string]: unknown;
    };
  const originOf = (behavior: Record<string, unknown>) =>
    config().Origins.find((o) => o.Id === behavior.TargetOriginId)!;

  it('serves the web/ prefix by default through origin access control', () => {
    const { DefaultCacheBehavior: web, DefaultRootObject } = config();
    expect(DefaultRootObject).toBe('index.html');
    expect(web.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(originOf(web)).toMatchObject({
      OriginPath: '/web',
      OriginAccessControlId: getAtt(onlyId(template, 'AWS::CloudFront::OriginAccessControl'), 'Id'),
    });
  });

  it('accepts uploads only with a URL signed by the key group, over HTTPS, uncached', () => {
    expect(config().CacheBehaviors).toHaveLength(1);
    const uploads = config().CacheBehaviors[0]!;
    expect(uploads).toMatchObject({
      PathPattern: `${ingestQueue.uploadPrefix}*`,
      AllowedMethods: expect.arrayContaining(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']),
      TrustedKeyGroups: [ref(ids.keyGroup)],
      ViewerProtocolPolicy: 'https-only',
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // Managed-CachingDisabled
    });
    const origin = originOf(uploads);
    expect(origin.OriginPath).toBeUndefined();
    expect(origin.OriginAccessControlId).toEqual(config().Origins[0]!.OriginAccessControlId);
  });

  it('lets only this distribution GET web/ and PUT uploads/, and nothing else of the bucket', () => {
    const fromDistribution = {
      StringEquals: { 'AWS:SourceArn': { 'Fn::Join': ['', Match.arrayWith([ref(ids.distribution)])] } },
    };
    const objectsUnder = (prefix: string) => ({
      'Fn::Join': ['', [getAtt(ids.bucket, 'Arn'), `/${prefix}*`]],
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: ref(ids.bucket),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Action: 's3:GetObject',
            Resource: objectsUnder('web/'),
            Condition: fromDistribution,
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: objectsUnder(ingestQueue.uploadPrefix),
            Condition: fromDistribution,
          }),
        ]),
      },
    });
  });

  it('logs to the logs bucket', () => {
    expect(config().Logging).toEqual({
      Bucket: getAtt(ids.logsBucket, 'RegionalDomainName'),
      Prefix: 'cloudfront/',
    });
  });

  it('takes the public key from the deploy-time generator, which writes the private key into the secret', () => {
    const keyPairs = resourcesOf(template, 'Custom::CloudFrontSigningKey');
    const [keyPairId, keyPair] = Object.entries(keyPairs)[0]!;
    expect(Object.keys(keyPairs)).toHaveLength(1);
    expect(keyPair.Properties.SecretArn).toEqual(ref(ids.secret));
    template.hasResourceProperties('AWS::CloudFront::PublicKey', {
      PublicKeyConfig: { EncodedKey: getAtt(keyPairId, 'PublicKeyPem') },
    });
    template.hasResourceProperties('AWS::CloudFront::KeyGroup', {
      KeyGroupConfig: { Items: [ref(ids.publicKey)] },
    });
    const secret = resourcesOf(template, 'AWS::SecretsManager::Secret')[ids.secret]!.Properties;
    expect(secret.SecretString).toBeUndefined();
  });

  it('holds no private key material anywhere in the template', () => {
    expect(synth.json).not.toMatch(/PRIVATE KEY/);
    expect(synth.json).not.toMatch(/BEGIN [A-Z ]*KEY/);
  });
});

describe('workflow', () => {
  const stateMachine = () =>
    resourcesOf(template, 'AWS::StepFunctions::StateMachine')[ids.stateMachine]!.Properties;
  const definitionFile = () => readFileSync(workflow.definitionFile, 'utf8');

  it('is the ASL file verbatim, with every placeholder substituted by its function ARN', () => {
    const placeholders = [...definitionFile().matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!);
    const substitutions = stateMachine().DefinitionSubstitutions as Record<string, unknown>;
    expect(stateMachine().DefinitionString).toBe(definitionFile());
    expect(Object.keys(substitutions).sort()).toEqual([...new Set(placeholders)].sort());
    for (const [placeholder, name] of Object.entries(workflow.functionPlaceholders)) {
      expect(substitutions[placeholder]).toEqual(getAtt(pipelineFunctions(template).get(name)!.id, 'Arn'));
    }
  });

  it('is a STANDARD machine logging errors only (with their execution data) and traced', () => {
    const logGroupArn = getAtt(Match.stringLikeRegexp('^WorkflowLogs'), 'Arn');
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ERROR',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: logGroupArn } }],
      },
    });
  });

  it('may invoke the task functions and no other function', () => {
    const statements = roleStatements(template, stateMachine().RoleArn);
    const invoked = statements
      .filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'))
      .flatMap((s) => [s.Resource].flat())
      .filter((r) => (r as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'])
      .map((r) => (r as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]);
    const tasks = Object.values(workflow.functionPlaceholders).map(
      (n) => pipelineFunctions(template).get(n)!.id,
    );
    expect(invoked.sort()).toEqual(tasks.sort());
  });

  it("sends abnormal ends and one-job successes of this machine's executions to the wiring consumer", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [ref(ids.stateMachine)],
          $or: [
            { status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
            { status: ['SUCCEEDED'], name: [{ 'anything-but': { prefix: 'g-' } }] },
          ],
        },
      },
      Targets: [
        Match.objectLike({
          Arn: getAtt(pipelineFunctions(template).get(executionEnded.consumer)!.id, 'Arn'),
          DeadLetterConfig: { Arn: getAtt(ids.executionEndFailures, 'Arn') },
        }),
      ],
    });
  });

  it('sends execution ends the consumer could not record to a failure queue, after its retries', () => {
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(pipelineFunctions(template).get(executionEnded.consumer)!.id),
      Qualifier: '$LATEST',
      MaximumRetryAttempts: executionEnded.retryAttempts,
      MaximumEventAgeInSeconds: executionEnded.maxEventAgeHours * 3600,
      DestinationConfig: { OnFailure: { Destination: getAtt(ids.executionEndFailures, 'Arn') } },
    });
    expect(resourcesOf(template, 'AWS::SQS::Queue')[ids.executionEndFailures]!.Properties).toEqual({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: executionEnded.failureRetentionDays * 86_400,
    });
    // EventBridge may deliver to it too (its target's DLQ), from this rule only.
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(ids.executionEndFailures)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });
});

describe('observability and outputs', () => {
  // The full alarm set, the topic and its e-mail subscription: test/cdk/alarms.test.ts.
  it('alarms on dead letters, unrecorded execution ends, failed executions and API 5xx', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(ids.executionEndFailures, 'QueueName') }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(ids.dlq, 'QueueName') }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsFailed',
      Dimensions: [{ Name: 'StateMachineArn', Value: ref(ids.stateMachine) }],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: ref(ids.api) }],
    });
  });

  it('subscribes no e-mail address to the alarm topic without -c sluice:alarmEmail', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('has the Sluice dashboard', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Sluice' });
  });

  it('outputs exactly the documented values', () => {
    expect(template.toJSON().Outputs).toEqual({
      ApiUrl: { Value: getAtt(ids.api, 'ApiEndpoint') },
      CdnUrl: { Value: cdnUrl() },
      UserPoolId: { Value: ref(ids.userPool) },
      UserPoolClientId: { Value: ref(ids.client) },
      StateMachineArn: { Value: ref(ids.stateMachine) },
      QueueUrl: { Value: ref(ids.queue) },
      DeadLetterQueueUrl: { Value: ref(ids.dlq) },
      TableName: { Value: ref(ids.table) },
      BucketName: { Value: ref(ids.bucket) },
      AlarmTopicArn: { Value: ref(onlyId(template, 'AWS::SNS::Topic')) },
    });
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unsuppressed findings', () => {
    if (synth.nagErrors.length > 0) console.error(synth.nagErrors.join('\n'));
    expect(synth.nagErrors).toEqual([]);
  });
});
