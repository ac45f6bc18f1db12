/**
 * Builds the web app into a folder of static files: index.html, app.js and app.css (esbuild: bundled,
 * minified, ES2020). `npm run build` writes web/dist; the local cloud builds a fresh copy into its data
 * directory at every start and publishes it to the bucket's `web/` prefix.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const webDir = import.meta.dirname;

/** Builds into `outDir` (emptied first) and returns it. */
export async function buildWebApp(outDir: string = join(webDir, 'dist')): Promise<string> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build({
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
  copyFileSync(join(webDir, 'index.html'), join(outDir, 'index.html'));
  return outDir;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outDir = await buildWebApp();
  console.log(`web app built into ${outDir}`);
}
