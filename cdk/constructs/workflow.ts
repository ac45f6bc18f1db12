import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Duration } from 'aws-cdk-lib';
import * as lambdaDestinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  type FunctionName,
  executionEnded,
  executionEndedDetailPattern,
  observability,
  workflow,
} from '../wiring';
import { repoRoot } from './defaults';
import { waive } from './controls';
import { logGroup } from './log-groups';
import { wildcard } from './nag';

export interface WorkflowProps {
  functions: Record<FunctionName, lambda.IFunction>;
}

/** The workflow document exactly as stored in the repository. */
export const readDefinition = (): string =>
  readFileSync(path.join(repoRoot, workflow.definitionFile), 'utf8');

/**
 * What the state machine logs: ERROR, with execution data. At ALL every state's entry and exit is a log event
 * carrying its input and output (a few per job, each up to 256 KB), billed as CloudWatch Logs ingestion; at
 * ERROR only failures are logged (ExecutionFailed/TimedOut/Aborted, TaskFailed, …), with their input and cause.
 * The execution history (console graph, GetExecutionHistory) is kept by Step Functions whatever the log level.
 */
export const stateMachineLogging = {
  level: observability.stateMachineLogLevel,
  includeExecutionData: observability.stateMachineIncludeExecutionData,
} as const;

/**
 * The ingest state machine, built from the ASL file with only its `${Placeholder}`s substituted by
 * CloudFormation (so the console shows the file), and the rule that reports executions that ended abnormally.
 */
export class Workflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /**
   * Execution-end events the consumer could not process (after Lambda's retries) or EventBridge could not
   * deliver: each is a job that may still be RUNNING. Alarmed on in Monitoring.
   */
  readonly executionEndFailures: sqs.Queue;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    const taskFunctions = Object.entries(workflow.functionPlaceholders).map(
      ([placeholder, name]) => [placeholder, props.functions[name]] as const,
    );

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromString(readDefinition()),
      definitionSubstitutions: Object.fromEntries(taskFunctions.map(([key, fn]) => [key, fn.functionArn])),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: observability.stateMachineTracing,
      logs: {
        destination: logGroup(this, 'Logs'),
        level: sfn.LogLevel[stateMachineLogging.level],
        includeExecutionData: stateMachineLogging.includeExecutionData,
      },
    });
    for (const [, fn] of taskFunctions) fn.grantInvoke(this.stateMachine);
    NagSuppressions.addResourceSuppressions(this.stateMachine, [
      {
        id: 'AwsSolutions-SF1',
        reason:
          'Logging ERROR, not ALL, is a cost decision (README "Logs"): at ALL every state transition of every execution is a log event with its input and output. Failures are still logged with their data, and each execution\'s full history stays in Step Functions (console, GetExecutionHistory).',
      },
    ]);
    NagSuppressions.addResourceSuppressions(
      this.stateMachine.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'CloudWatch Logs delivery and X-Ray APIs only accept Resource "*"; lambda:InvokeFunction covers the task functions\' versions (ARN:*), as grantInvoke does.',
          appliesTo: [wildcard.anyResource, ...taskFunctions.map(([, fn]) => wildcard.versionsOf(fn))],
        },
      ],
      true,
    );

    this.executionEndFailures = new sqs.Queue(this, 'ExecutionEndFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(executionEnded.failureRetentionDays),
    });
    NagSuppressions.addResourceSuppressions(this.executionEndFailures, [
      {
        id: 'AwsSolutions-SQS3',
        reason:
          "This queue is itself a dead-letter queue: the on-failure destination of the execution-end consumer and its EventBridge target's DLQ.",
      },
    ]);
    waive(
      this.executionEndFailures,
      'ct-sqs-pr-1',
      "This queue is itself a dead-letter queue (the execution-end consumer's on-failure destination and its EventBridge target's DLQ), alarmed on and drained by an operator, so it has none of its own.",
    );
    const consumer = props.functions[executionEnded.consumer];
    consumer.configureAsyncInvoke({
      onFailure: new lambdaDestinations.SqsDestination(this.executionEndFailures),
      retryAttempts: executionEnded.retryAttempts,
      maxEventAge: Duration.hours(executionEnded.maxEventAgeHours),
    });

    new events.Rule(this, 'ExecutionEnded', {
      description: `Sluice: ${workflow.name} executions that ended ${executionEnded.statuses.join(', ')}`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: executionEndedDetailPattern(this.stateMachine.stateMachineArn),
      },
      targets: [new targets.LambdaFunction(consumer, { deadLetterQueue: this.executionEndFailures })],
    });
  }
}
