import { Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { alarmPeriod } from './defaults';

export interface MonitoringProps {
  httpApi: apigw.HttpApi;
  queue: sqs.IQueue;
  deadLetterQueue: sqs.IQueue;
  /** Execution-end events nobody processed: jobs that may be left RUNNING. */
  executionEndFailures: sqs.IQueue;
  stateMachine: sfn.IStateMachine;
  functions: Record<string, lambda.IFunction>;
}

/** Alarms for what needs a human (dead letters, failed executions, API 5xx) and the stack's dashboard. */
export class Monitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const period = alarmPeriod;
    const deadLetters = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period,
      statistic: 'Maximum',
    });
    const unrecordedEnds = props.executionEndFailures.metricApproximateNumberOfMessagesVisible({
      period,
      statistic: 'Maximum',
    });
    const executionsFailed = props.stateMachine.metricFailed({ period, statistic: 'Sum' });
    const serverErrors = props.httpApi.metricServerError({ period, statistic: 'Sum' });

    const alarm = (
      name: string,
      description: string,
      metric: cloudwatch.IMetric,
      comparisonOperator: cloudwatch.ComparisonOperator,
      threshold: number,
    ) =>
      new cloudwatch.Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    const { GREATER_THAN_THRESHOLD, GREATER_THAN_OR_EQUAL_TO_THRESHOLD } = cloudwatch.ComparisonOperator;
    this.alarms = [
      alarm(
        'DeadLettersAlarm',
        'Sluice: messages in the dead-letter queue (their jobs were failed with DeliveryFailed)',
        deadLetters,
        GREATER_THAN_THRESHOLD,
        0,
      ),
      alarm(
        'ExecutionEndFailuresAlarm',
        'Sluice: execution ends that record-execution-end could not record (their jobs may stay RUNNING; see the queue and redrive)',
        unrecordedEnds,
        GREATER_THAN_THRESHOLD,
        0,
      ),
      alarm(
        'ExecutionsFailedAlarm',
        'Sluice: ingest executions failed',
        executionsFailed,
        GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        1,
      ),
      alarm(
        'ApiServerErrorsAlarm',
        'Sluice: API 5xx responses',
        serverErrors,
        GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        1,
      ),
    ];

    const api = props.httpApi;
    const sm = props.stateMachine;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: Stack.of(this).stackName,
      widgets: [
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
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
      ],
    });
  }
}
