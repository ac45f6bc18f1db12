/**
 * Where each local service listens. `npm start` uses fixed ports from a base (SLUICE_PORT_BASE, default 4700);
 * tests use free ports. A restart on the same data directory asks for the ports it had before, so URLs
 * handed out earlier (signed upload URLs, token issuers) stay valid; when one is taken, any free port is used.
 */
export const portOffsets = {
  api: 0,
  cdn: 1,
  cognito: 2,
  sfn: 3,
  s3: 4,
  sqs: 5,
  dynamodb: 6,
  secretsManager: 7,
  console: 8,
} as const;

export type PortName = keyof typeof portOffsets;
export type PortPlan = Record<PortName, { port: number; fixed: boolean }>;

export const defaultPortBase = 4700;

export function planPorts(
  mode: 'fixed' | 'ephemeral',
  base: number,
  previous: Partial<Record<PortName, number>>,
): PortPlan {
  const plan = {} as PortPlan;
  for (const [name, offset] of Object.entries(portOffsets) as [PortName, number][]) {
    plan[name] =
      mode === 'fixed' ? { port: base + offset, fixed: true } : { port: previous[name] ?? 0, fixed: false };
  }
  return plan;
}

export const portOf = (url: string | undefined): number | undefined =>
  url ? Number(new URL(url).port) || undefined : undefined;
