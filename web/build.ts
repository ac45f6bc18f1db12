/**
 * Builds the web app into a folder of static files: index.html, app.js and app.css (esbuild: bundled,
 * minified, ES2020). `npm run build` writes web/dist; the local cloud builds a fresh copy into its data
 * directory at every start and publishes it to the bucket's `web/` prefix; `cdk synth` builds it as the asset
 * of the stack's BucketDeployment. Synchronous, because CDK's local bundling is.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';

const webDir = import.meta.dirname;

/** The page's Content-Security-Policy lets the app call loopback endpoints only where they are the API. */
const loopbackSources = ' http://127.0.0.1:* http://localhost:*';

/**
 * Builds into `outDir` (emptied first) and returns it. `local` keeps the loopback sources in the page's
 * `connect-src`, for the local cloud; a build for AWS talks to HTTPS endpoints only.
 */
export function buildWebApp(outDir: string = join(webDir, 'dist'), { local = false } = {}): string {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  buildSync({
    entryPoints: { app: join(webDir, 'src', 'main.ts') },
    outdir: outDir,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const page = readFileSync(join(webDir, 'index.html'), 'utf8');
  if (!page.includes(loopbackSources)) throw new Error(`web/index.html: connect-src lacks${loopbackSources}`);
  writeFileSync(join(outDir, 'index.html'), local ? page : page.replace(loopbackSources, ''));
  return outDir;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outDir = buildWebApp();
  console.log(`web app built into ${outDir}`);
}
