/**
 * The AWS Control Tower proactive controls (cfn-guard rules of @cdklabs/cdk-validator-cfnguard) on the synthesized
 * template: every control passes on every resource, or that resource waives it with a specific reason
 * (cdk/constructs/controls.ts), and README "Control Tower controls" lists each waived control.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { minimumReasonLength } from '../../cdk/constructs/controls';
import { customDomainFrom } from '../../cdk/constructs/cdn';
import { type Finding, failingControls, guardBinary, ruleFiles, rulesDir, waiversIn } from './control-tower';
import { type Synthesized, synthesize } from './synth';
import { pipelineFunctions, resourcesOf } from './template-queries';

type TemplateJson = Parameters<typeof failingControls>[0];
let synth: Synthesized;
let template: TemplateJson;
let failing: Finding[];
let waivers: Map<Finding, string>;

const ruleOf = (finding: Finding) => finding.split(' ')[0]!;
const idOf = (finding: Finding) => finding.split(' ')[1]!;

beforeAll(() => {
  synth = synthesize();
  template = synth.template.toJSON() as TemplateJson;
  failing = failingControls(template);
  waivers = waiversIn(template);
});

describe('the cfn-guard run', () => {
  it('uses the binary and rules shipped in the npm package', () => {
    expect(existsSync(guardBinary)).toBe(true);
    const ids = new Set([...ruleFiles().values()].map((file) => file.id));
    expect(ids.size).toBeGreaterThan(200);
    expect(ids).toContain('ct-s3-pr-11');
  });

  it('finds failures where they are (so a clean result means something)', () => {
    // Every function is outside a VPC (waived): the run must report each of them.
    for (const { id } of pipelineFunctions(synth.template).values()) {
      expect(failing).toContain(`ct-lambda-pr-3 ${id}`);
    }
    // A bucket without versioning fails CT.S3.PR.11 (the template's buckets have it).
    const unversioned = structuredClone(template);
    for (const bucket of Object.values(unversioned.Resources).filter((r) => r.Type === 'AWS::S3::Bucket')) {
      delete (bucket as { Properties?: Record<string, unknown> }).Properties!.VersioningConfiguration;
    }
    const s3Rule = path.join(rulesDir, 's3', 'ct-s3-pr-11.guard');
    expect(failingControls(template, s3Rule)).toEqual([]);
    expect(failingControls(unversioned, s3Rule)).toHaveLength(2);
  });
});

describe('Control Tower proactive controls', () => {
  it('every failing control is waived on that resource', () => {
    expect(failing.filter((finding) => !waivers.has(finding))).toEqual([]);
  });

  it('no alarm fails a control: each one notifies the alarm topic', () => {
    const alarms = Object.keys(resourcesOf(synth.template, 'AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    expect(failing.filter((finding) => alarms.includes(idOf(finding)))).toEqual([]);
  });

  it('every waiver is of a control that fails on that resource (no stale waivers)', () => {
    expect([...waivers.keys()].filter((finding) => !failing.includes(finding))).toEqual([]);
  });

  it('every waiver gives a specific reason', () => {
    for (const [finding, reason] of waivers) {
      expect(reason.trim().length, finding).toBeGreaterThanOrEqual(minimumReasonLength);
    }
    // One reason is not pasted onto different controls.
    const rulesByReason = new Map<string, Set<string>>();
    for (const [finding, reason] of waivers) {
      rulesByReason.set(reason, (rulesByReason.get(reason) ?? new Set()).add(ruleOf(finding)));
    }
    for (const [reason, rules] of rulesByReason) expect([...rules], reason).toHaveLength(1);
  });

  it('waives VPC placement, public routes and DLQs only where they apply', () => {
    const waivedOn = (rule: string) =>
      [...waivers.keys()]
        .filter((f) => ruleOf(f) === rule)
        .map(idOf)
        .sort();
    const routes = resourcesOf(synth.template, 'AWS::ApiGatewayV2::Route');
    expect(waivedOn('ct-apigateway-pr-5').map((id) => routes[id]!.Properties.RouteKey)).toEqual([
      'GET /health',
      'GET /openapi.json',
    ]);
    const queues = resourcesOf(synth.template, 'AWS::SQS::Queue');
    const withDlq = Object.keys(queues).filter((id) => queues[id]!.Properties.RedrivePolicy);
    expect(waivedOn('ct-sqs-pr-1')).toHaveLength(Object.keys(queues).length - withDlq.length);
    for (const id of withDlq) expect(waivedOn('ct-sqs-pr-1')).not.toContain(id);
  });

  it('README "Control Tower controls" lists exactly the waived controls', () => {
    const readme = readFileSync(path.join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const section = /^### Control Tower controls\n([\s\S]*?)(?=^##)/m.exec(readme)?.[1];
    expect(section).toBeDefined();
    // The table's rows: | `ct-…` | resource | reason |
    const listed = new Set([...section!.matchAll(/^\| `(ct-[a-z0-9]+-pr-\d+)`/gm)].map((m) => m[1]!));
    const waived = new Set([...waivers.keys()].map(ruleOf));
    expect([...listed].sort()).toEqual([...waived].sort());
  });
});

describe("with the user's domain (-c sluice:domainName -c sluice:certificateArn)", () => {
  const certificateArn =
    'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
  let domainSynth: Synthesized;
  let domainTemplate: TemplateJson;

  beforeAll(() => {
    domainSynth = synthesize({
      'sluice:domainName': 'sluice.example.com',
      'sluice:certificateArn': certificateArn,
    });
    domainTemplate = domainSynth.template.toJSON() as TemplateJson;
  });

  it('serves the domain with its certificate, SNI and TLSv1.2_2021, and needs no certificate waivers', () => {
    const cloudfrontRules = path.join(rulesDir, 'cloudfront');
    const findings = failingControls(domainTemplate, cloudfrontRules);
    expect(findings.map(ruleOf)).toEqual(['ct-cloudfront-pr-4']); // origin failover stays waived
    const waived = [...waiversIn(domainTemplate).keys()].filter((f) => ruleOf(f).startsWith('ct-cloudfront'));
    expect(waived).toEqual(findings);
    domainSynth.template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: {
        Aliases: ['sluice.example.com'],
        ViewerCertificate: {
          AcmCertificateArn: certificateArn,
          SslSupportMethod: 'sni-only',
          MinimumProtocolVersion: 'TLSv1.2_2021',
        },
      },
    });
    expect(domainSynth.nagErrors).toEqual([]);
  });

  it('gives the functions and the API the domain as the CDN URL', () => {
    expect(domainSynth.json).toContain('"https://sluice.example.com"');
  });

  it('takes both keys or neither, a domain name, and a certificate in us-east-1', () => {
    expect(customDomainFrom({})).toBeUndefined();
    expect(customDomainFrom({ domainName: 'a.example.com', certificateArn })).toEqual({
      domainName: 'a.example.com',
      certificateArn,
    });
    expect(() => customDomainFrom({ domainName: 'a.example.com' })).toThrow(/both or neither/);
    expect(() => customDomainFrom({ certificateArn })).toThrow(/both or neither/);
    expect(() =>
      customDomainFrom({
        domainName: 'a.example.com',
        certificateArn: certificateArn.replace('us-east-1', 'eu-west-1'),
      }),
    ).toThrow(/us-east-1/);
    expect(() => customDomainFrom({ domainName: 'https://a.example.com/', certificateArn })).toThrow(
      /not a domain name/,
    );
  });
});
