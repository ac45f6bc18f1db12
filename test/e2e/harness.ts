/**
 * The end-to-end suites' local cloud: ephemeral ports, a temporary data directory, stopped by the suite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCloud, type Endpoints, type LocalCloud } from '../../local/cloud';

export { Api, cognitoClient, event, localCredentials, signUpAndIn, type TestUser } from '../../local/client';

export interface TestCloud {
  cloud: LocalCloud;
  endpoints: Endpoints;
  dataDir: string;
  /** Stops the cloud and (unless kept) removes its data directory. */
  dispose(keepData?: boolean): Promise<void>;
}

export async function startTestCloud(
  options: {
    dataDir?: string;
    settings?: Record<string, string>;
    queue?: { visibilityTimeoutSeconds?: number };
  } = {},
): Promise<TestCloud> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'sluice-e2e-'));
  const cloud = await startLocalCloud({
    dataDir,
    ports: 'ephemeral',
    settings: options.settings,
    queue: options.queue,
    log: () => {},
  });
  return {
    cloud,
    endpoints: cloud.endpoints,
    dataDir,
    async dispose(keepData = false) {
      await cloud.stop();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
