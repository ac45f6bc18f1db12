/**
 * Walks every IAM policy and the data bucket's policy in the synthesized template and proves that each
 * function reaches exactly the S3 prefixes and DynamoDB actions cdk/wiring.ts declares, and that the CDN may
 * only GET web/ and PUT uploads/.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type BucketAccess, bucketPrefixes, functionNames, functions, s3Actions } from '../../cdk/wiring';
import { synthesize } from './synth';
import { type Statement, onlyId, pipelineFunctions, resourcesOf, roleStatements } from './template-queries';
import type { Template } from 'aws-cdk-lib/assertions';

let template: Template;
let bucketId: string;
let tableId: string;
let dataKeyId: string;

beforeAll(() => {
  template = synthesize().template;
  tableId = onlyId(template, 'AWS::DynamoDB::Table');
  dataKeyId = Object.keys(resourcesOf(template, 'AWS::KMS::Key')).find((id) =>
    id.startsWith('StorageDataKey'),
  )!;
  const buckets = resourcesOf(template, 'AWS::S3::Bucket');
  // The data bucket is the one whose access logs go to the other.
  bucketId = Object.keys(buckets).find((id) => buckets[id]!.Properties.LoggingConfiguration)!;
});

const isRef = (value: unknown, id: string): boolean => JSON.stringify(value).includes(`"${id}"`);
const actionsOf = (s: Statement): string[] => [s.Action].flat();
const resourcesIn = (s: Statement): unknown[] => [s.Resource].flat();

/** `{Fn::Join: ['', [{Fn::GetAtt: [bucket, 'Arn']}, '/<suffix>']]}` → '<suffix>', else undefined. */
function objectSuffix(resource: unknown, bucket: string): string | undefined {
  const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join || join[1].length !== 2) return undefined;
  const [arn, suffix] = join[1];
  if (JSON.stringify(arn) !== JSON.stringify({ 'Fn::GetAtt': [bucket, 'Arn'] })) return undefined;
  return typeof suffix === 'string' && suffix.startsWith('/') ? suffix.slice(1) : undefined;
}

/** The pairs "<action> <resource>" a set of statements allows on the data bucket (and nothing else). */
function bucketGrants(statements: Statement[]): string[] {
  const grants: string[] = [];
  for (const s of statements.filter((st) => st.Effect === 'Allow')) {
    const touches =
      resourcesIn(s).some((r) => isRef(r, bucketId)) || actionsOf(s).some((a) => a.startsWith('s3:'));
    if (!touches) continue;
    for (const action of actionsOf(s)) {
      for (const resource of resourcesIn(s)) {
        const suffix = objectSuffix(resource, bucketId);
        if (suffix !== undefined) grants.push(`${action} ${suffix}`);
        else if (JSON.stringify(resource) === JSON.stringify({ 'Fn::GetAtt': [bucketId, 'Arn'] })) {
          grants.push(`${action} <bucket> ${JSON.stringify(s.Condition ?? null)}`);
        } else grants.push(`${action} <unexpected ${JSON.stringify(resource)}>`);
      }
    }
  }
  return grants.sort();
}

function declaredBucketGrants(bucket: BucketAccess | undefined): string[] {
  const grants: string[] = [];
  for (const kind of ['read', 'write', 'delete'] as const) {
    for (const prefix of bucket?.[kind] ?? []) grants.push(`${s3Actions[kind]} ${prefix}*`);
  }
  if (bucket?.list?.length) {
    const condition = { StringLike: { 's3:prefix': bucket.list.map((p) => `${p}*`) } };
    grants.push(`${s3Actions.list} <bucket> ${JSON.stringify(condition)}`);
  }
  return grants.sort();
}

const statementsOf = (name: string): Statement[] =>
  roleStatements(template, pipelineFunctions(template).get(name)!.props.Role);

describe('least privilege by prefix and action', () => {
  it('finds every wiring function in the template', () => {
    expect([...pipelineFunctions(template).keys()].sort()).toEqual([...functionNames].sort());
  });

  it.each(functionNames)('%s: S3 exactly the declared prefixes and actions', (name) => {
    const granted = bucketGrants(statementsOf(name));
    expect(granted).toEqual(declaredBucketGrants(functions[name].access.bucket));
    for (const grant of granted) {
      // Every object grant sits under one of the layout's prefixes: no bucket-wide `/*`.
      if (grant.includes('<bucket>')) continue;
      const suffix = grant.split(' ')[1]!;
      expect(bucketPrefixes.some((p) => suffix === `${p}*`)).toBe(true);
    }
  });

  it.each(functionNames)(
    '%s: DynamoDB exactly the declared actions, the index only where it queries',
    (name) => {
      const table = functions[name].access.table;
      const dynamo = statementsOf(name).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      const onTable: string[] = [];
      const onKeys: string[] = [];
      const onIndexes: string[] = [];
      for (const s of dynamo) {
        expect(s.Effect).toBe('Allow');
        for (const resource of resourcesIn(s)) {
          const json = JSON.stringify(resource);
          if (json === JSON.stringify({ 'Fn::GetAtt': [tableId, 'Arn'] }) && s.Condition) {
            // A keyed grant: exactly one condition, the partition-key patterns, nothing else.
            const keys = (s.Condition as Record<string, Record<string, unknown>>)['ForAllValues:StringLike'];
            expect(Object.keys(s.Condition)).toEqual(['ForAllValues:StringLike']);
            expect(Object.keys(keys!)).toEqual(['dynamodb:LeadingKeys']);
            const patterns = [keys!['dynamodb:LeadingKeys']].flat() as string[];
            for (const pattern of patterns) expect(pattern).toMatch(/^[A-Z]+#\*$/);
            onKeys.push(...actionsOf(s).map((a) => `${a} ${patterns.join(',')}`));
          } else if (json === JSON.stringify({ 'Fn::GetAtt': [tableId, 'Arn'] }))
            onTable.push(...actionsOf(s));
          else {
            const join = (resource as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
            expect(JSON.stringify(join[1][0])).toBe(JSON.stringify({ 'Fn::GetAtt': [tableId, 'Arn'] }));
            onIndexes.push(...actionsOf(s).map((a) => `${a} ${String(join[1][1])}`));
          }
        }
      }
      expect(onTable.sort()).toEqual((table?.actions ?? []).map((a) => `dynamodb:${a}`).sort());
      expect(onKeys.sort()).toEqual(
        (table?.onKeys ?? [])
          .flatMap(({ actions, leadingKeys }) => actions.map((a) => `dynamodb:${a} ${leadingKeys.join(',')}`))
          .sort(),
      );
      expect(onIndexes.sort()).toEqual(
        (table?.queryIndexes ?? []).map((i) => `dynamodb:Query /index/${i}`).sort(),
      );
      expect(onTable).not.toContain('dynamodb:Scan');
    },
  );

  it.each(functionNames)(
    '%s: KMS only on the data key, Decrypt if it reads objects, GenerateDataKey if it writes',
    (name) => {
      const bucket = functions[name].access.bucket;
      const kms = statementsOf(name).filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
      const expected = [
        ...(bucket?.read?.length ? ['kms:Decrypt'] : []),
        ...(bucket?.write?.length ? ['kms:GenerateDataKey'] : []),
      ];
      expect(kms.flatMap(actionsOf).sort()).toEqual(expected.sort());
      for (const s of kms) {
        expect(s.Effect).toBe('Allow');
        expect(resourcesIn(s)).toEqual([{ 'Fn::GetAtt': [dataKeyId, 'Arn'] }]);
        expect(s.Condition).toBeUndefined();
      }
    },
  );

  it('no role but the functions and the web app deployment may use the data key', () => {
    const fnRoles = new Set(
      [...pipelineFunctions(template).values()].map(
        ({ props }) => (props.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
      ),
    );
    const others: string[] = [];
    for (const policy of Object.values(resourcesOf(template, 'AWS::IAM::Policy'))) {
      const roles = (policy.Properties.Roles as { Ref: string }[]).map((r) => r.Ref);
      const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
      if (!statements.some((st) => resourcesIn(st).some((r) => isRef(r, dataKeyId)))) continue;
      others.push(...roles.filter((r) => !fnRoles.has(r)));
    }
    expect(others.filter((r) => !r.startsWith('CustomCDKBucketDeployment'))).toEqual([]);
  });

  it('the read-only API functions may write only rate counters (RATE#*), and read limits only where they read', () => {
    for (const name of ['read-jobs', 'query-events'] as const) {
      const writes = statementsOf(name).filter((s) =>
        actionsOf(s).some((a) => /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/.test(a)),
      );
      expect(writes).toHaveLength(1);
      expect(actionsOf(writes[0]!)).toEqual(['dynamodb:UpdateItem']);
      expect(writes[0]!.Condition).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['RATE#*'] },
      });
    }
  });

  it('no role but the functions and two deploy-time CDK handlers reaches the data bucket', () => {
    // CDK's BucketDeployment grants its handler read/write on the whole destination bucket (it ignores
    // destinationKeyPrefix); it runs only at deploy time, from CloudFormation, never from a request.
    const fnRoles = new Set(
      [...pipelineFunctions(template).values()].map(
        ({ props }) => (props.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
      ),
    );
    const others = new Set<string>();
    for (const policy of Object.values(resourcesOf(template, 'AWS::IAM::Policy'))) {
      const roles = (policy.Properties.Roles as { Ref: string }[]).map((r) => r.Ref);
      if (roles.some((r) => fnRoles.has(r))) continue;
      const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
      if (statements.some((st) => resourcesIn(st).some((r) => isRef(r, bucketId))))
        roles.forEach((r) => others.add(r));
    }
    // The other deploy-time one: CDK's bucket-notifications handler (s3:PutBucketNotification on the bucket).
    const deployTime = /^(CustomCDKBucketDeployment|BucketNotificationsHandler)/;
    expect([...others].filter((r) => !deployTime.test(r))).toEqual([]);
  });

  it("the CDN's grant is exactly GET under web/ and PUT under uploads/, from this distribution", () => {
    const policy = Object.values(resourcesOf(template, 'AWS::S3::BucketPolicy')).find(
      (p) => (p.Properties.Bucket as { Ref: string }).Ref === bucketId,
    )!;
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(
      allows.every((s) => JSON.stringify(s.Principal) === '{"Service":"cloudfront.amazonaws.com"}'),
    ).toBe(true);
    expect(bucketGrants(allows)).toEqual(['s3:GetObject web/*', 's3:PutObject uploads/*']);
    const distributionId = onlyId(template, 'AWS::CloudFront::Distribution');
    for (const s of allows) expect(isRef(s.Condition, distributionId)).toBe(true);
  });
});
