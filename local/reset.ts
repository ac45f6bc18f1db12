/** `npm run reset`: deletes the local cloud's data directory (SLUICE_DATA_DIR, default .sluice). */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const dataDir = resolve(process.env.SLUICE_DATA_DIR ?? '.sluice');

async function running(): Promise<boolean> {
  try {
    const { apiUrl } = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')) as {
      apiUrl: string;
    };
    await fetch(`${apiUrl}/health`, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}

if (!existsSync(dataDir)) {
  console.log(`Nothing to remove: ${dataDir} does not exist.`);
} else if (await running()) {
  console.error(`The local cloud is running on ${dataDir}: stop it (Ctrl-C) first.`);
  process.exit(1);
} else {
  rmSync(dataDir, { recursive: true, force: true });
  console.log(`Removed ${dataDir}.`);
}
