/**
 * Runs the AWS Control Tower proactive controls shipped in `@cdklabs/cdk-validator-cfnguard` (its rules and its
 * cfn-guard binary, both inside the npm tarball: nothing is downloaded) on a synthesized template.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import path from 'node:path';
import { type Waiver, waiversKey } from '../../cdk/constructs/controls';

const packageDir = path.dirname(
  createRequire(import.meta.url).resolve('@cdklabs/cdk-validator-cfnguard/package.json'),
);
/** rules/control-tower/cfn-guard/<service>/ct-<service>-pr-<n>.guard */
export const rulesDir = path.join(packageDir, 'rules', 'control-tower', 'cfn-guard');
/** The package's directory names for this machine, as its own validator (lib/plugin.js) picks them. */
const platformDir = ({ linux: 'ubuntu', darwin: 'macos' } as Record<string, string>)[platform()];
const archDir = ({ x64: 'x86_64', arm64: 'aarch64' } as Record<string, string>)[arch()];
if (!platformDir || !archDir)
  throw new Error(`no cfn-guard binary in the package for ${platform()} ${arch()}`);
/** The binary for this platform and architecture. */
export const guardBinary = path.join(packageDir, 'bin', platformDir, archDir, 'cfn-guard');

interface RuleFile {
  /** The file name without `.guard`: `ct-s3-pr-11`. */
  id: string;
  /** The resource types its header says it reports on. */
  reportsOn: string[];
}

/** Every Control Tower rule file, by the names of the top-level rules it defines (what cfn-guard reports). */
export function ruleFiles(dir = rulesDir): Map<string, RuleFile> {
  const byRuleName = new Map<string, RuleFile>();
  for (const service of readdirSync(dir)) {
    for (const file of readdirSync(path.join(dir, service)).filter((f) => f.endsWith('.guard'))) {
      const text = readFileSync(path.join(dir, service, file), 'utf8');
      const header = /# Reports on:\n((?:#[ \t]+\S.*\n)+)/.exec(text)?.[1] ?? '';
      const info: RuleFile = {
        id: file.replace(/\.guard$/, ''),
        reportsOn: [...header.matchAll(/(AWS::\w+::\w+)/g)].map((m) => m[1]!),
      };
      for (const m of text.matchAll(/^rule (\w+) when/gm)) byRuleName.set(m[1]!, info);
    }
  }
  return byRuleName;
}

/** "<rule> <logical id>" */
export type Finding = `${string} ${string}`;

interface Template {
  Resources: Record<string, { Type: string; Metadata?: Record<string, unknown> }>;
}

/**
 * The failing (rule, resource) pairs of `template` under the rules in `rules` (a rule file or a directory of
 * them; all Control Tower rules by default), sorted.
 */
export function failingControls(template: Template, rules = rulesDir): Finding[] {
  const files = ruleFiles(rulesDir);
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-guard-'));
  try {
    const data = path.join(dir, 'template.json');
    writeFileSync(data, JSON.stringify(template));
    const run = spawnSync(
      guardBinary,
      [
        'validate',
        '--rules',
        rules,
        '--data',
        data,
        '--output-format',
        'json',
        '--show-summary',
        'none',
        '--structured',
      ],
      { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
    );
    // cfn-guard exits 0 when every rule passes or skips, 19 when one fails; anything else is a broken run.
    if (run.error) throw run.error;
    if (run.status !== 0 && run.status !== 19) {
      throw new Error(`cfn-guard exited ${run.status}: ${run.stderr}`);
    }
    const reports = JSON.parse(run.stdout) as { not_compliant?: { Rule: { name: string } }[] }[];
    const findings = new Set<Finding>();
    for (const report of reports) {
      for (const failure of report.not_compliant ?? []) {
        const file = files.get(failure.Rule.name);
        if (!file) throw new Error(`cfn-guard reported a rule no file defines: ${failure.Rule.name}`);
        // The failure names the properties it checked (/Resources/<id>/Properties/…); keep the resources of the
        // types the rule reports on, not those it only followed a reference to.
        for (const [, id] of JSON.stringify(failure).matchAll(/\/Resources\/([A-Za-z0-9]+)/g)) {
          const resource = template.Resources[id!];
          if (resource && file.reportsOn.includes(resource.Type)) findings.add(`${file.id} ${id}`);
        }
      }
    }
    return [...findings].sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every waiver in the template (cdk/constructs/controls.ts `waive`), as "<rule> <logical id>" → reason. */
export function waiversIn(template: Template): Map<Finding, string> {
  const waivers = new Map<Finding, string>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    for (const { rule, reason } of (resource.Metadata?.[waiversKey] as Waiver[] | undefined) ?? []) {
      waivers.set(`${rule} ${id}`, reason);
    }
  }
  return waivers;
}
