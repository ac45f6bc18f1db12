import { readFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { alarmEmailFrom } from '../../cdk/constructs/monitoring';
import { commonEnvironment, functionNames, ingestQueue } from '../../cdk/wiring';
import { type Synthesized, synthesize } from './synth';
import {
  type CfnResource,
  type Statement,
  getAtt,
  onlyId,
  pipelineFunctions,
  ref,
  resourcesOf,
} from './template-queries';

// One synthesis for the file, with an alarm e-mail address as `cdk deploy -c sluice:alarmEmail=…` would give
// (test/cdk/stack.test.ts synthesizes without one).
const email = 'ops@example.com';
let synth: Synthesized;
let template: Template;
let alarms: [string, AlarmProps][];
let topicId: string;

interface AlarmProps {
  AlarmName: string;
  AlarmDescription?: string;
  AlarmActions?: unknown[];
  OKActions?: unknown[];
  ActionsEnabled?: boolean;
  Namespace?: string;
  MetricName?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Metrics?: unknown[];
  Threshold: number;
  EvaluationPeriods: number;
  TreatMissingData?: string;
}

beforeAll(() => {
  synth = synthesize({ 'sluice:alarmEmail': email });
  template = synth.template;
  alarms = Object.entries(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map(([id, alarm]) => [
    id,
    alarm.Properties as unknown as AlarmProps,
  ]);
  topicId = onlyId(template, 'AWS::SNS::Topic');
});

const idOf = (type: string, prefix: string) =>
  Object.keys(resourcesOf(template, type)).find((id) => id.startsWith(prefix))!;

/** Dimensions as one comparable text, whatever their order. */
const dimensionsKey = (dimensions: Record<string, unknown>) =>
  JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)));

/** The alarms watching one metric (a plain metric alarm: namespace, name and exactly these dimensions). */
const alarmsOn = (namespace: string, metricName: string, dimensions: Record<string, unknown>) =>
  alarms.filter(
    ([, a]) =>
      a.Namespace === namespace &&
      a.MetricName === metricName &&
      dimensionsKey(Object.fromEntries((a.Dimensions ?? []).map((d) => [d.Name, d.Value]))) ===
        dimensionsKey(dimensions),
  );

describe('alarmEmailFrom (context sluice:alarmEmail)', () => {
  it('takes one address, and nothing when absent or empty', () => {
    expect(alarmEmailFrom('ops@example.com')).toBe('ops@example.com');
    expect(alarmEmailFrom('first.last+sluice@mail.example.co.uk')).toBe(
      'first.last+sluice@mail.example.co.uk',
    );
    expect(alarmEmailFrom(undefined)).toBeUndefined();
    expect(alarmEmailFrom('')).toBeUndefined();
  });

  it.each([
    'ops',
    'ops@',
    '@example.com',
    'ops@example',
    'ops@example.com,dev@example.com',
    'ops @example.com',
    'ops@exa mple.com',
    'ops@-example.com',
    '<ops@example.com>',
    42,
    true,
  ])('rejects %j, naming the context key', (value) => {
    expect(() => alarmEmailFrom(value)).toThrow(/sluice:alarmEmail/);
  });

  it('fails the synthesis on junk', () => {
    expect(() => synthesize({ 'sluice:alarmEmail': 'not-an-address' })).toThrow(
      /-c sluice:alarmEmail="not-an-address" is not an e-mail address/,
    );
  });
});

/** The key the topic names (the stack has others: logs, data). */
function topicKeyId(): string {
  const keyArn = resourcesOf(template, 'AWS::SNS::Topic')[topicId]!.Properties.KmsMasterKeyId as {
    'Fn::GetAtt': [string, string];
  };
  return keyArn['Fn::GetAtt'][0];
}

describe('the alarm topic', () => {
  it('is encrypted with a customer-managed key that rotates', () => {
    const topic = resourcesOf(template, 'AWS::SNS::Topic')[topicId]!;
    const keyId = topicKeyId();
    expect(topic.Properties.KmsMasterKeyId).toEqual(getAtt(keyId, 'Arn'));
    expect(resourcesOf(template, 'AWS::KMS::Key')[keyId]!.Properties.EnableKeyRotation).toBe(true);
  });

  it("lets CloudWatch, for this account's Sluice alarms only, make and read the key's data keys", () => {
    const key = resourcesOf(template, 'AWS::KMS::Key')[topicKeyId()]!;
    const statements = (key.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
    const forCloudWatch = statements.filter(
      (s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }),
    );
    expect(forCloudWatch).toHaveLength(1);
    expect(forCloudWatch[0]).toMatchObject({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: {
        StringEquals: { 'aws:SourceAccount': '123456789012' },
        ArnLike: {
          'aws:SourceArn': {
            'Fn::Join': [
              '',
              ['arn:', ref('AWS::Partition'), ':cloudwatch:eu-west-1:123456789012:alarm:Sluice-*'],
            ],
          },
        },
      },
    });
    // Every alarm's name falls under that pattern, or CloudWatch could not publish its notifications.
    for (const [, alarm] of alarms) expect(alarm.AlarmName).toMatch(/^Sluice-/);
  });

  it('admits only SSL publishers, and CloudWatch for these alarms', () => {
    const policy = Object.values(resourcesOf(template, 'AWS::SNS::TopicPolicy')).find((p) =>
      (p.Properties.Topics as unknown[]).some((t) => JSON.stringify(t) === JSON.stringify(ref(topicId))),
    )!;
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Resource: ref(topicId),
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: ref(topicId),
        Condition: expect.objectContaining({ StringEquals: { 'aws:SourceAccount': '123456789012' } }),
      }),
    );
  });

  it('has the e-mail subscription given in context', () => {
    const subscriptions = Object.values(resourcesOf(template, 'AWS::SNS::Subscription'));
    expect(subscriptions.map((s) => s.Properties)).toEqual([
      { Protocol: 'email', Endpoint: email, TopicArn: ref(topicId) },
    ]);
  });

  it('is an output', () => {
    expect(template.toJSON().Outputs.AlarmTopicArn).toEqual({ Value: ref(topicId) });
  });
});

describe('every alarm', () => {
  it('notifies the topic on ALARM and on OK, with actions enabled', () => {
    expect(alarms.length).toBeGreaterThan(0);
    for (const [id, alarm] of alarms) {
      expect({ id, actions: alarm.AlarmActions, ok: alarm.OKActions }).toEqual({
        id,
        actions: [ref(topicId)],
        ok: [ref(topicId)],
      });
      expect(alarm.ActionsEnabled).not.toBe(false);
    }
  });

  it('says what it means, and treats missing data deliberately', () => {
    for (const [, alarm] of alarms) {
      expect(alarm.AlarmDescription?.length).toBeGreaterThan(40);
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
  });

  it('is on the dashboard', () => {
    const dashboard = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'))[0] as CfnResource;
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const [id] of alarms) expect(body).toContain(JSON.stringify(getAtt(id, 'Arn')));
  });

  it('is one of the documented set: 15 for the pipeline plus errors and throttles per function', () => {
    // README.md "Alarms" prices this count.
    expect(alarms).toHaveLength(15 + 2 * functionNames.length);
  });
});

describe('the alarmed metrics', () => {
  const one = (namespace: string, metricName: string, dimensions: Record<string, unknown>) => {
    const found = alarmsOn(namespace, metricName, dimensions);
    expect(found, `${namespace} ${metricName} ${JSON.stringify(dimensions)}`).toHaveLength(1);
    return found[0]![1];
  };
  const queueName = (prefix: string) => getAtt(idOf('AWS::SQS::Queue', prefix), 'QueueName');

  it('dead letters: depth (any) and age (a day) of both failure queues', () => {
    for (const prefix of ['IngestDeadLetterQueue', 'WorkflowExecutionEndFailures']) {
      const depth = one('AWS/SQS', 'ApproximateNumberOfMessagesVisible', { QueueName: queueName(prefix) });
      expect(depth).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 });
      const age = one('AWS/SQS', 'ApproximateAgeOfOldestMessage', { QueueName: queueName(prefix) });
      expect(age).toMatchObject({ Threshold: 86_400, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    }
  });

  it("the ingest queue's oldest message (an hour)", () => {
    const queueId = Object.entries(resourcesOf(template, 'AWS::SQS::Queue')).find(
      ([, q]) => q.Properties.RedrivePolicy,
    )![0];
    expect(
      one('AWS/SQS', 'ApproximateAgeOfOldestMessage', { QueueName: getAtt(queueId, 'QueueName') }),
    ).toMatchObject({ Threshold: 3600 });
  });

  it('failed, timed-out, aborted and throttled executions', () => {
    const StateMachineArn = ref(onlyId(template, 'AWS::StepFunctions::StateMachine'));
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'])
      expect(one('AWS/States', metric, { StateMachineArn })).toMatchObject({
        Threshold: 1,
        EvaluationPeriods: 1,
      });
    expect(one('AWS/States', 'ExecutionThrottled', { StateMachineArn })).toMatchObject({
      EvaluationPeriods: 2,
    });
  });

  it('API 5xx', () => {
    one('AWS/ApiGateway', '5xx', { ApiId: ref(onlyId(template, 'AWS::ApiGatewayV2::Api')) });
  });

  it('errors and throttles of every function of the wiring', () => {
    const found = pipelineFunctions(template);
    expect([...found.keys()].sort()).toEqual([...functionNames].sort());
    for (const [, { id }] of found) {
      one('AWS/Lambda', 'Errors', { FunctionName: ref(id) });
      expect(one('AWS/Lambda', 'Throttles', { FunctionName: ref(id) })).toMatchObject({
        EvaluationPeriods: 2,
      });
    }
  });

  it('DynamoDB read and write throttles of the table and of gsi1', () => {
    const TableName = ref(onlyId(template, 'AWS::DynamoDB::Table'));
    for (const metric of ['ReadThrottleEvents', 'WriteThrottleEvents']) {
      one('AWS/DynamoDB', metric, { TableName });
      one('AWS/DynamoDB', metric, { TableName, GlobalSecondaryIndexName: 'gsi1' });
    }
  });

  it("StartExecution throttles: the starter's StartThrottled metric, as it emits it", () => {
    // Powertools Metrics: namespace POWERTOOLS_METRICS_NAMESPACE, default dimension `service` = the service name.
    const env = commonEnvironment(ingestQueue.consumer);
    expect(readFileSync('functions/start-execution/handler.ts', 'utf8')).toContain(
      "addMetric('StartThrottled'",
    );
    expect(env.POWERTOOLS_SERVICE_NAME).toBe('start-execution');
    expect(
      one(env.POWERTOOLS_METRICS_NAMESPACE!, 'StartThrottled', { service: env.POWERTOOLS_SERVICE_NAME }),
    ).toMatchObject({ Statistic: 'Sum', EvaluationPeriods: 2 });
  });
});

describe('cdk-nag AwsSolutions, with the e-mail subscription', () => {
  it('reports no unsuppressed findings', () => {
    if (synth.nagErrors.length > 0) console.error(synth.nagErrors.join('\n'));
    expect(synth.nagErrors).toEqual([]);
  });
});
