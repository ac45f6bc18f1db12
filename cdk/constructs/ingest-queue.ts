import { Duration, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ingestQueue } from '../wiring';
import { waive } from './controls';

export interface IngestQueueProps {
  /** Its `ObjectCreated` notifications under the upload prefix go to the queue. */
  bucket: s3.Bucket;
}

/** The job queue (API submissions, upload arrivals, upload deadlines) and its dead-letter queue. */
export class IngestQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: IngestQueueProps) {
    super(scope, id);
    // SQS-managed SSE: S3 event notifications cannot publish to a queue under the AWS managed KMS key.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(ingestQueue.deadLetterRetentionDays),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(ingestQueue.retentionDays),
      visibilityTimeout: Duration.seconds(ingestQueue.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: ingestQueue.maxReceiveCount },
    });
    props.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new SqsDestination(this.queue), {
      prefix: ingestQueue.uploadPrefix,
    });
    waive(
      props.bucket,
      'ct-s3-pr-4',
      "The bucket does notify (ObjectCreated under uploads/ to the ingest queue), through CDK's Custom::S3BucketNotifications resource: the queue policy names the bucket, so the bucket cannot name the queue itself, and the rule reads only the bucket's own NotificationConfiguration.",
    );
    waive(
      this.deadLetterQueue,
      'ct-sqs-pr-1',
      'This queue is the dead-letter queue of the ingest queue: a message here has already failed maxReceiveCount times and waits for an operator (the DLQ alarms), so it has no dead-letter queue of its own.',
    );
    const stack = Stack.of(this);
    for (const handler of stack.node.children.filter((c) =>
      c.node.id.startsWith('BucketNotificationsHandler'),
    )) {
      NagSuppressions.addResourceSuppressions(
        handler,
        [
          {
            id: 'AwsSolutions-IAM4',
            reason:
              "CDK's bucket-notifications handler (deploy time only) uses AWSLambdaBasicExecutionRole for its logs.",
            appliesTo: [
              'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
            ],
          },
        ],
        true,
      );
    }
  }

  /** Makes `consumer` the queue's batch consumer, reporting partial batch failures. */
  addConsumer(consumer: lambda.Function): void {
    consumer.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: ingestQueue.batchSize,
        maxBatchingWindow: Duration.seconds(ingestQueue.maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
      }),
    );
  }
}
