import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { type FunctionName, ingestQueue, table as tableDesign, workflow } from '../wiring';
import { alarmPeriod } from './defaults';
import { customerManagedKey } from './keys';

/** The context key of the optional e-mail address subscribed to the alarm topic. */
export const alarmEmailContextKey = 'sluice:alarmEmail';

/** One address: a local part, `@`, and a domain of at least two dot-separated labels (the HTML form rule). */
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/**
 * The alarm e-mail address from context: absent or empty means no subscription; anything that is not one
 * address fails the synthesis with the key's name, before a deploy could subscribe junk.
 */
export function alarmEmailFrom(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 254 || !EMAIL.test(value)) {
    throw new Error(
      `-c ${alarmEmailContextKey}=${JSON.stringify(value)} is not an e-mail address (expected one address like ops@example.com)`,
    );
  }
  return value;
}

/** What the stack hands the monitoring: the resources alarmed on. */
export interface MonitoringProps {
  httpApi: apigw.HttpApi;
  queue: sqs.IQueue;
  deadLetterQueue: sqs.IQueue;
  /** Execution-end events nobody processed: jobs that may be left RUNNING. */
  executionEndFailures: sqs.IQueue;
  stateMachine: sfn.IStateMachine;
  table: dynamodb.ITable;
  functions: Record<string, lambda.IFunction>;
  /** Subscribed to the alarm topic when set (context `sluice:alarmEmail`, validated by alarmEmailFrom). */
  alarmEmail?: string;
}

interface AlarmSpec {
  /** Construct id (kept stable for the alarms that existed before #11). */
  id: string;
  /** The alarm's name after the stack's: `<stack>-<name>`. */
  name: string;
  /** What it means and what to do: the notification carries it. */
  description: string;
  metric: cloudwatch.IMetric;
  threshold: number;
  comparison?: cloudwatch.ComparisonOperator;
  /** Consecutive breaching periods before ALARM (default 1). */
  periods?: number;
}

const { GREATER_THAN_THRESHOLD, GREATER_THAN_OR_EQUAL_TO_THRESHOLD } = cloudwatch.ComparisonOperator;
/** Throttles are retried by whoever called (SDK, Step Functions, the SQS poller, the starter): alarm when sustained. */
const SUSTAINED = 2;
const DAY_SECONDS = 24 * 60 * 60;

/**
 * Alarms for what needs a human, all notifying one KMS-encrypted SNS topic (ALARM and back to OK), and the
 * stack's dashboard, which shows every alarm. Thresholds and their reasons: README.md, "Alarms".
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  readonly alarms: cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const period = alarmPeriod;

    // Alarms are named `<stack>-…`, so the key and the topic can admit CloudWatch for this stack's alarms only.
    const fromTheseAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: `${stack.stackName}-*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    const cloudwatchService = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    // CloudWatch cannot publish to a topic under the AWS-managed alias/aws/sns key (its policy cannot be
    // changed): a customer-managed key whose policy lets CloudWatch make the data key.
    this.key = customerManagedKey(this, 'AlarmTopicKey', `${stack.stackName}: encrypts the alarm topic`, {
      // It protects notifications in flight only: nothing stored outlives the stack.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheTopic',
        principals: [cloudwatchService],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromTheseAlarms,
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `${stack.stackName} alarms`,
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [cloudwatchService],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromTheseAlarms,
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const maximum = { period, statistic: cloudwatch.Stats.MAXIMUM };
    const sum = { period, statistic: cloudwatch.Stats.SUM };
    const deadLetters = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible(maximum);
    const deadLettersAge = props.deadLetterQueue.metricApproximateAgeOfOldestMessage(maximum);
    const unrecordedEnds = props.executionEndFailures.metricApproximateNumberOfMessagesVisible(maximum);
    const unrecordedEndsAge = props.executionEndFailures.metricApproximateAgeOfOldestMessage(maximum);
    const queueAge = props.queue.metricApproximateAgeOfOldestMessage(maximum);
    const sm = props.stateMachine;
    const startThrottled = new cloudwatch.Metric({
      namespace: 'Sluice', // POWERTOOLS_METRICS_NAMESPACE (cdk/wiring.ts commonEnvironment)
      metricName: 'StartThrottled',
      dimensionsMap: { service: ingestQueue.consumer }, // Powertools' default dimension: the service name
      ...sum,
    });
    const tableThrottles = (metricName: string, index?: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/DynamoDB',
        metricName,
        dimensionsMap: {
          TableName: props.table.tableName,
          ...(index ? { GlobalSecondaryIndexName: index } : {}),
        },
        ...sum,
      });
    const dynamoThrottles = [undefined, ...tableDesign.indexes.map((index) => index.name)].flatMap((index) =>
      ['ReadThrottleEvents', 'WriteThrottleEvents'].map((name) => ({
        index,
        name,
        metric: tableThrottles(name, index),
      })),
    );

    const specs: AlarmSpec[] = [
      {
        id: 'DeadLettersAlarm',
        name: 'DeadLetters',
        description:
          'Messages in the ingest dead-letter queue: their jobs were failed with DeliveryFailed. Read them (DeadLetterQueueUrl), fix the cause, resubmit the jobs, then purge.',
        metric: deadLetters,
        threshold: 0,
        comparison: GREATER_THAN_THRESHOLD,
      },
      {
        id: 'DeadLettersAgeAlarm',
        name: 'DeadLettersAge',
        description: `A dead letter has waited a day: the DeadLetters alarm went unhandled. Messages expire ${ingestQueue.deadLetterRetentionDays} days after they were first sent.`,
        metric: deadLettersAge,
        threshold: DAY_SECONDS,
      },
      {
        id: 'ExecutionEndFailuresAlarm',
        name: 'ExecutionEndFailures',
        description:
          'Execution ends record-execution-end could not record: their jobs may stay RUNNING. See the queue, fix the cause, redrive the events to the function.',
        metric: unrecordedEnds,
        threshold: 0,
        comparison: GREATER_THAN_THRESHOLD,
      },
      {
        id: 'ExecutionEndFailuresAgeAlarm',
        name: 'ExecutionEndFailuresAge',
        description:
          'An unrecorded execution end has waited a day: the ExecutionEndFailures alarm went unhandled; the queue keeps them 14 days.',
        metric: unrecordedEndsAge,
        threshold: DAY_SECONDS,
      },
      {
        id: 'IngestQueueAgeAlarm',
        name: 'IngestQueueAge',
        description:
          'A message has waited an hour in the ingest queue: the starter (start-execution) is failing, throttled or not running. See its errors and logs.',
        metric: queueAge,
        threshold: 60 * 60,
      },
      {
        id: 'ExecutionsFailedAlarm',
        name: 'ExecutionsFailed',
        description:
          'Ingest executions failed (each failed its jobs, with the error on the job). Open the failed executions: the MarkJobFailed input has the error and cause.',
        metric: sm.metricFailed(sum),
        threshold: 1,
      },
      {
        id: 'ExecutionsTimedOutAlarm',
        name: 'ExecutionsTimedOut',
        description:
          'Ingest executions timed out (the workflow limit): record-execution-end failed their jobs. Find the slow step in the execution history.',
        metric: sm.metricTimedOut(sum),
        threshold: 1,
      },
      {
        id: 'ExecutionsAbortedAlarm',
        name: 'ExecutionsAborted',
        description:
          'Ingest executions were stopped (by a person or a tool): record-execution-end failed their jobs. Check who stopped them in CloudTrail.',
        metric: sm.metricAborted(sum),
        threshold: 1,
      },
      {
        id: 'ExecutionsThrottledAlarm',
        name: 'ExecutionsThrottled',
        description:
          'Step Functions throttled state transitions for 10 minutes: jobs run slower. Raise the StateTransition quota.',
        metric: sm.metricThrottled(sum),
        threshold: 1,
        periods: SUSTAINED,
      },
      {
        id: 'StartExecutionThrottledAlarm',
        name: 'StartExecutionThrottled',
        description:
          'StartExecution throttled for 10 minutes (the starter backs off and re-queues, so jobs wait, none fails). Raise the StartExecution quota.',
        metric: startThrottled,
        threshold: 1,
        periods: SUSTAINED,
      },
      {
        id: 'ApiServerErrorsAlarm',
        name: 'ApiServerErrors',
        description:
          'The API answered 5xx: see the Lambda errors and throttles alarms and the API access log for the route.',
        metric: props.httpApi.metricServerError(sum),
        threshold: 1,
      },
      ...dynamoThrottles.map(({ index, name, metric }) => ({
        id: `Dynamo${index ?? 'Table'}${name}Alarm`,
        name: `Dynamo-${index ?? 'table'}-${name}`,
        description: `DynamoDB throttled ${name === 'ReadThrottleEvents' ? 'reads' : 'writes'} on the ${index ? `${index} index` : 'table'} for 10 minutes (the SDK and the workflow retry). A hot key or a burst over twice the previous peak: see the dashboard and CloudWatch Contributor Insights.`,
        metric,
        threshold: 1,
        periods: SUSTAINED,
      })),
      ...Object.entries(props.functions).flatMap(([name, fn]) =>
        functionAlarms(name as FunctionName, fn, sum),
      ),
    ];

    const action = new SnsAction(this.topic);
    this.alarms = specs.map((spec) => {
      const alarm = new cloudwatch.Alarm(this, spec.id, {
        alarmName: `${stack.stackName}-${spec.name}`,
        alarmDescription: spec.description,
        metric: spec.metric,
        threshold: spec.threshold,
        comparisonOperator: spec.comparison ?? GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: spec.periods ?? 1,
        // Every metric here has no data point when nothing happened (Lambda, Step Functions, API and EMF counts
        // are not published as zero; SQS stops publishing for an idle queue): missing data is "all is well".
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      return alarm;
    });

    const api = props.httpApi;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: stack.stackName,
      widgets: [
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: this.alarms,
            width: 24,
            height: 8,
            sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'API requests and 5xx',
            left: [
              api.metricCount({ period }),
              api.metricServerError({ period }),
              api.metricClientError({ period }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'API latency (p50, p99)',
            left: [
              api.metricLatency({ period, statistic: 'p50' }),
              api.metricLatency({ period, statistic: 'p99' }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Queue depth and dead letters',
            left: [props.queue.metricApproximateNumberOfMessagesVisible({ period })],
            right: [deadLetters, unrecordedEnds],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Executions',
            left: [
              sm.metricStarted({ period }),
              sm.metricSucceeded({ period }),
              sm.metricFailed({ period }),
              sm.metricTimedOut({ period }),
              sm.metricAborted({ period }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Lambda errors',
            width: 12,
            left: Object.entries(props.functions).map(([name, fn]) =>
              fn.metricErrors({ period, label: name }),
            ),
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Oldest message age (s)',
            left: [queueAge],
            right: [deadLettersAge, unrecordedEndsAge],
          }),
          new cloudwatch.GraphWidget({
            title: 'Throttles: Lambda, StartExecution, state transitions',
            left: Object.entries(props.functions).map(([name, fn]) =>
              fn.metricThrottles({ ...sum, label: name }),
            ),
            right: [startThrottled.with({ label: 'StartExecution (starter)' }), sm.metricThrottled(sum)],
          }),
          new cloudwatch.GraphWidget({
            title: 'DynamoDB throttle events',
            left: dynamoThrottles.map(({ index, name, metric }) =>
              metric.with({ label: `${index ?? 'table'} ${name}` }),
            ),
          }),
        ],
      ],
    });
  }
}

/** The workflow's task functions: their errors include job failures the workflow catches (bad input) and retries. */
const workflowTasks = new Set<string>(Object.values(workflow.functionPlaceholders));

/**
 * One errors and one throttles alarm per function. AWS bills alarms per metric watched, so a metric-math SUM
 * over the functions would cost the same and would not say which function.
 */
function functionAlarms(
  name: FunctionName,
  fn: lambda.IFunction,
  sum: cloudwatch.MetricOptions,
): AlarmSpec[] {
  const task = workflowTasks.has(name);
  return [
    {
      id: `Errors-${name}`,
      name: `Errors-${name}`,
      description: task
        ? `${name} failed 5 times in 5 minutes. Its errors include jobs failed for their input (caught, recorded on the job) and transient errors (retried), so a few are normal; this many is an outage or a bug: see its log group.`
        : `${name} threw (an unhandled error: a 5xx, a retried batch or a retried event). See its log group.`,
      metric: fn.metricErrors(sum),
      threshold: task ? 5 : 1,
    },
    {
      id: `Throttles-${name}`,
      name: `Throttles-${name}`,
      description: `${name} throttled for 10 minutes: the account's Lambda concurrency is spent (callers retry, so work waits). Raise the concurrency quota or find the function that takes it.`,
      metric: fn.metricThrottles(sum),
      threshold: 1,
      periods: SUSTAINED,
    },
  ];
}
