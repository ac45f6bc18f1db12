import { join } from 'node:path';
import { DockerImage, Stack } from 'aws-cdk-lib';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { NagSuppressions } from 'cdk-nag';
import { Construct, type IConstruct } from 'constructs';
import { buildWebApp } from '../../web/build';
import { logGroup } from './log-groups';

/** What the app reads from `config.json` (web/src/config.ts): the deployed endpoints, never baked in. */
export interface WebAppConfig {
  apiUrl: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
}

export interface WebAppProps {
  bucket: s3.IBucket;
  /** The bucket's SSE-KMS key, and the alias its default encryption names it by. */
  dataKey: kms.IKey;
  dataKeyAlias: kms.IAlias;
  /** The distribution serving the bucket's `web/` prefix: its cache is invalidated on every deployment. */
  distribution: cloudfront.IDistribution;
  config: WebAppConfig;
}

const webDir = join(import.meta.dirname, '..', '..', 'web');
export const webAppPrefix = 'web/';

/**
 * Deploys the web app to the bucket's `web/` prefix with its `config.json`. The app is built at synth time by
 * web/build.ts (esbuild, no Docker). The file names carry no content hash, so every file is served `no-cache`
 * (revalidated with its ETag) and the distribution is invalidated after each deployment.
 */
export class WebApp extends Construct {
  readonly deployment: s3deploy.BucketDeployment;

  constructor(scope: Construct, id: string, props: WebAppProps) {
    super(scope, id);
    const app = s3deploy.Source.asset(webDir, {
      exclude: ['dist', 'dist/**'],
      bundling: {
        // Only used if local bundling declines, which it never does: nothing here needs Docker.
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-alpine'),
        local: {
          tryBundle(outputDir) {
            buildWebApp(outputDir);
            return true;
          },
        },
      },
    });
    this.deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      sources: [app, s3deploy.Source.jsonData('config.json', props.config)],
      destinationBucket: props.bucket,
      destinationKeyPrefix: webAppPrefix,
      prune: true,
      cacheControl: [s3deploy.CacheControl.noCache()],
      distribution: props.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
      logGroup: logGroup(this, 'DeploymentLogs'),
    });
    // The copy writes web/ objects under the bucket's key (its default encryption names the key by alias, so wait
    // for the alias); pruning and the destination check read objects' metadata.
    props.dataKey.grant(this.deployment.handlerRole, 'kms:GenerateDataKey', 'kms:Decrypt');
    this.deployment.node.addDependency(props.dataKeyAlias);
    suppressFindingsOfCdkHandler(this, this.deployment);
  }
}

/** The deployment runs on a CDK-managed singleton function and role: findings there are CDK's choices. */
function suppressFindingsOfCdkHandler(scope: Construct, deployment: s3deploy.BucketDeployment): void {
  NagSuppressions.addResourceSuppressions(
    deployment.handlerRole,
    [
      {
        id: 'AwsSolutions-IAM4',
        reason: 'The CDK BucketDeployment handler uses AWSLambdaBasicExecutionRole for its own logs.',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'BucketDeployment grants read of its CDK asset objects and read/write/delete under the target bucket so it can copy and prune the web/ prefix; CDK generates these object-level wildcards, scoped to the two buckets, plus cloudfront:CreateInvalidation/GetInvalidation, which have no resource-level scoping.',
      },
    ],
    true,
  );
  const handler = Stack.of(scope)
    .node.findAll()
    .find((c: IConstruct) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
  if (handler) {
    NagSuppressions.addResourceSuppressions(handler, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'The BucketDeployment handler is a CDK-managed singleton whose runtime (Python, with the AWS CLI layer) the CDK release pins.',
      },
    ]);
  }
}
