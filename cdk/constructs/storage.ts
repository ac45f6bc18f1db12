import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { waive } from './controls';
import { customerManagedKey } from './keys';
import { table as tableDesign } from '../wiring';

/** How long an overwritten or deleted object of the data bucket stays as a noncurrent version. */
export const noncurrentVersionDays = 7;

/** The one DynamoDB table, the private data bucket and the bucket that receives S3 and CloudFront logs. */
export class Storage extends Construct {
  readonly table: dynamodb.Table;
  readonly bucket: s3.Bucket;
  readonly logsBucket: s3.Bucket;
  /**
   * The data bucket's key. Whoever reads objects needs kms:Decrypt on it, whoever writes kms:GenerateDataKey
   * (functions: cdk/constructs/functions.ts; the CDN: its key-policy statement, cdk/constructs/cdn.ts).
   */
  readonly dataKey: kms.Key;
  readonly dataKeyAlias: kms.Alias;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: tableDesign.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: tableDesign.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
      // The rate counters (pk RATE#…) carry it; no other item does, so nothing else expires.
      timeToLiveAttribute: tableDesign.timeToLiveAttribute,
    });
    for (const index of tableDesign.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    this.logsBucket = new s3.Bucket(this, 'LogsBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // S3 server access logs can only be delivered to a bucket whose default encryption is SSE-S3.
      encryption: s3.BucketEncryption.S3_MANAGED,
      // CloudFront standard logs are delivered with an ACL, so the bucket must accept ACLs.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      // Log objects are written once: versions become noncurrent only when the 90-day rule expires them.
      versioned: true,
      lifecycleRules: [
        { id: 'expire-logs', expiration: Duration.days(90) },
        {
          id: 'expire-old-versions',
          noncurrentVersionExpiration: Duration.days(1),
          expiredObjectDeleteMarker: true,
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.dataKey = customerManagedKey(
      this,
      'DataKey',
      'Sluice: default encryption (SSE-KMS, with an S3 Bucket Key) of the data bucket',
    );
    // The bucket names its key by alias, not by the key's ARN: the key policy names the distribution (Cdn), the
    // distribution names the bucket, and the bucket naming the key would close that circle.
    this.dataKeyAlias = new kms.Alias(this, 'DataKeyAlias', {
      aliasName: `alias/${Stack.of(this).stackName}/data`,
      targetKey: this.dataKey,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED, // replaced by SSE-KMS under the data key below
      serverAccessLogsBucket: this.logsBucket,
      serverAccessLogsPrefix: 'bucket/',
      // An overwritten or deleted object (web/index.html, a report) stays recoverable for noncurrentVersionDays.
      versioned: true,
      // Nothing a job reads stays forever (README "Limits"): the API serves events from the table and reports
      // from reports/, so a submission or an upload is needed only until its job finishes (at most the queue's
      // 4-day retention plus the 2-hour execution timeout).
      lifecycleRules: [
        { id: 'expire-work', prefix: 'work/', expiration: Duration.days(7) },
        { id: 'expire-uploads', prefix: 'uploads/', expiration: Duration.days(7) },
        { id: 'expire-submissions', prefix: 'submissions/', expiration: Duration.days(30) },
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        {
          id: 'expire-old-versions',
          noncurrentVersionExpiration: Duration.days(noncurrentVersionDays),
          expiredObjectDeleteMarker: true,
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const { partition, region, account } = Stack.of(this);
    const aliasArn = `arn:${partition}:kms:${region}:${account}:${this.dataKeyAlias.aliasName}`;
    (this.bucket.node.defaultChild as s3.CfnBucket).bucketEncryption = {
      serverSideEncryptionConfiguration: [
        {
          serverSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: aliasArn },
          // One KMS request per Bucket Key lifetime instead of one per object written or read.
          bucketKeyEnabled: true,
        },
      ],
    };

    waive(
      this.bucket,
      'ct-s3-pr-9',
      'Object lock would keep every version for its retention period, while the lifecycle rules expire work/, uploads/ and submissions/ objects once no job needs them and each deployment prunes web/; versioning (noncurrent versions kept 7 days) gives recovery instead.',
    );
    waive(
      this.logsBucket,
      'ct-s3-pr-2',
      'This is the access-log bucket: logging it would write a log object for every log delivery, into itself or into yet another bucket that would need logging in turn.',
    );
    waive(
      this.logsBucket,
      'ct-s3-pr-4',
      'Nothing acts on a log object when it arrives: logs are read on demand (console, Athena) and expire after 90 days, so an event notification would have no subscriber.',
    );
    waive(
      this.logsBucket,
      'ct-s3-pr-5',
      'CloudFront standard logs are delivered by the awslogsdelivery account with an ACL grant, so the bucket must accept ACLs (BucketOwnerPreferred keeps the objects owned by this account); public access stays blocked.',
    );
    waive(
      this.logsBucket,
      'ct-s3-pr-9',
      'The logs are operational, not a compliance record: the lifecycle rule deletes them after 90 days, and enabling object lock in CloudFormation would replace this retained bucket.',
    );
    waive(
      this.logsBucket,
      'ct-s3-pr-10',
      'S3 server access logs can only be delivered to a bucket encrypted with SSE-S3 (AES256), not SSE-KMS; the bucket is SSE-S3 encrypted, private and SSL-only.',
    );
  }
}
