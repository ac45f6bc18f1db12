/**
 * The app's runtime configuration, `config.json` next to index.html: written by the stack in AWS and by the
 * local cloud at start, never baked into the bundle.
 */
export interface AppConfig {
  apiUrl: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  /** Local cloud only: cognito-local's endpoint instead of Cognito's regional one. */
  cognitoEndpoint?: string;
  /** Local cloud only: the local executions console. */
  consoleUrl?: string;
}

const required = ['apiUrl', 'region', 'userPoolId', 'userPoolClientId'] as const;
const optional = ['cognitoEndpoint', 'consoleUrl'] as const;

export function parseConfig(value: unknown): AppConfig {
  if (typeof value !== 'object' || value === null) throw new Error('config.json is not a JSON object');
  const record = value as Record<string, unknown>;
  const missing = required.filter((name) => typeof record[name] !== 'string' || record[name] === '');
  if (missing.length > 0) throw new Error(`config.json lacks ${missing.join(', ')}`);
  const config = Object.fromEntries(required.map((name) => [name, record[name]])) as unknown as AppConfig;
  for (const name of optional) {
    if (typeof record[name] === 'string' && record[name] !== '') config[name] = record[name];
  }
  return config;
}

export async function loadConfig(fetchImpl: typeof fetch = fetch): Promise<AppConfig> {
  // Revalidate every time: a redeploy or a restarted local cloud changes the endpoints. (`cache` is spelled out
  // on its own because Node's RequestInit type, which the unit tests compile against, lacks it.)
  const init: RequestInit & { cache: 'no-cache' } = { cache: 'no-cache' };
  const response = await fetchImpl('config.json', init);
  if (!response.ok) throw new Error(`config.json could not be loaded (HTTP ${response.status})`);
  return parseConfig(await response.json());
}

/** Cognito's regional JSON endpoint, or the local stand-in. */
export const cognitoEndpointOf = (config: AppConfig): string =>
  config.cognitoEndpoint ?? `https://cognito-idp.${config.region}.amazonaws.com/`;

/** The local cloud confirms sign-ups itself: it has no mail to send a code with. */
export const isLocalCloud = (config: AppConfig): boolean => config.cognitoEndpoint !== undefined;

/** Where an execution can be watched: the local console when there is one, the AWS console otherwise. */
export function executionUrl(config: AppConfig, executionArn: string): string {
  if (config.consoleUrl) {
    return `${config.consoleUrl.replace(/\/+$/, '')}/#/executions/${encodeURIComponent(executionArn)}`;
  }
  const region = config.region;
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}
