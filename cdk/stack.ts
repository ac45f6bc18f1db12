import { CfnOutput, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct, Node } from 'constructs';
import { Api } from './constructs/api';
import { Auth } from './constructs/auth';
import { Cdn, customDomainFrom } from './constructs/cdn';
import { waiveEvery } from './constructs/controls';
import { PipelineFunctions } from './constructs/functions';
import { IngestQueue } from './constructs/ingest-queue';
import { Monitoring, alarmEmailContextKey, alarmEmailFrom } from './constructs/monitoring';
import { SigningKey } from './constructs/signing-key';
import { Storage } from './constructs/storage';
import { WebApp } from './constructs/web-app';
import { Workflow } from './constructs/workflow';
import { type RefName, type Settings, defaultSettings, ingestQueue, resolveSettings } from './wiring';

/** The settings of this deployment: the wiring's defaults overridden by context keys `sluice:<setting>`. */
export function settingsFromContext(node: Node): Settings {
  const names = Object.keys(defaultSettings) as (keyof Settings)[];
  return resolveSettings(
    Object.fromEntries(
      names.map((name) => [name, node.tryGetContext(`sluice:${name}`) as string | undefined]),
    ),
  );
}

/** Sluice on AWS: every function, route, grant and trigger comes from cdk/wiring.ts. */
export class SluiceStack extends Stack {
  readonly settings: Settings;
  /** What the wiring's resource references resolve to in this stack (tokens). */
  readonly refs: Record<RefName, string>;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.settings = settingsFromContext(this.node);
    const alarmEmail = alarmEmailFrom(this.node.tryGetContext(alarmEmailContextKey));

    const storage = new Storage(this, 'Storage');
    const auth = new Auth(this, 'Auth');
    const signingKey = new SigningKey(this, 'SigningKey');
    const cdn = new Cdn(this, 'Cdn', {
      bucket: storage.bucket,
      dataKey: storage.dataKey,
      domain: customDomainFrom({
        domainName: this.node.tryGetContext('sluice:domainName'),
        certificateArn: this.node.tryGetContext('sluice:certificateArn'),
      }),
      logsBucket: storage.logsBucket,
      keyGroup: signingKey.keyGroup,
    });
    const ingest = new IngestQueue(this, 'Ingest', { bucket: storage.bucket });

    // The starter needs the state machine's ARN and the state machine needs the task functions' ARNs: the
    // functions are created first and the ARN is filled in once the workflow exists.
    this.refs = {
      tableName: storage.table.tableName,
      bucketName: storage.bucket.bucketName,
      queueUrl: ingest.queue.queueUrl,
      stateMachineArn: Lazy.string({ produce: () => workflow.stateMachine.stateMachineArn }),
      cdnUrl: cdn.url,
      signingKeySecretArn: signingKey.secret.secretArn,
      signingKeyPairId: signingKey.publicKey.publicKeyId,
      maxReceiveCount: String(ingestQueue.maxReceiveCount),
    };
    const functions = new PipelineFunctions(this, 'Functions', { refs: this.refs, settings: this.settings });
    const workflow = new Workflow(this, 'Workflow', { functions: functions.byName });
    functions.grantAccess({
      table: storage.table,
      bucket: storage.bucket,
      dataKey: storage.dataKey,
      queue: ingest.queue,
      stateMachine: workflow.stateMachine,
      signingKey: signingKey.secret,
    });
    ingest.addConsumer(functions.byName[ingestQueue.consumer]);

    const api = new Api(this, 'Api', {
      functions: functions.byName,
      issuer: auth.issuer,
      audience: [auth.client.userPoolClientId],
      webOrigin: cdn.url,
    });
    new WebApp(this, 'WebApp', {
      bucket: storage.bucket,
      dataKey: storage.dataKey,
      dataKeyAlias: storage.dataKeyAlias,
      distribution: cdn.distribution,
      config: {
        apiUrl: api.url,
        region: this.region,
        userPoolId: auth.userPool.userPoolId,
        userPoolClientId: auth.client.userPoolClientId,
      },
    });
    const monitoring = new Monitoring(this, 'Monitoring', {
      httpApi: api.httpApi,
      queue: ingest.queue,
      deadLetterQueue: ingest.deadLetterQueue,
      executionEndFailures: workflow.executionEndFailures,
      stateMachine: workflow.stateMachine,
      table: storage.table,
      functions: functions.byName,
      alarmEmail,
    });

    waiveEvery(
      this,
      'AWS::Lambda::Function',
      'ct-lambda-pr-3',
      "No function runs in a VPC: they reach only AWS APIs (S3, DynamoDB, SQS, Step Functions, Secrets Manager, X-Ray), over TLS and authorized by IAM, and there is no private network resource to reach; a VPC would add NAT gateways or six interface endpoints per AZ (tens of dollars a month before any traffic) and cold-start ENI setup for no isolation gained. CDK's own deploy-time handlers are in the same position.",
    );

    const outputs: Record<string, string> = {
      ApiUrl: api.url,
      CdnUrl: cdn.url,
      UserPoolId: auth.userPool.userPoolId,
      UserPoolClientId: auth.client.userPoolClientId,
      StateMachineArn: workflow.stateMachine.stateMachineArn,
      QueueUrl: ingest.queue.queueUrl,
      DeadLetterQueueUrl: ingest.deadLetterQueue.queueUrl,
      TableName: storage.table.tableName,
      BucketName: storage.bucket.bucketName,
      AlarmTopicArn: monitoring.topic.topicArn,
    };
    for (const [name, value] of Object.entries(outputs)) new CfnOutput(this, name, { value });
  }
}
