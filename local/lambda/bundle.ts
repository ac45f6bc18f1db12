/**
 * Bundles function handlers the way the stack's NodejsFunction does (the settings of cdk/bundling.ts: esbuild,
 * ESM, platform node, minified, source maps, the createRequire banner, the same external packages; target node20
 * here, the local Node), one `.mjs` per function, plus the worker bootstrap. The packages Lambda's runtime
 * provides (the AWS SDK clients) are external here too, loaded from the repository's node_modules: a
 * `node_modules` link next to the bundles makes them resolvable wherever the data directory is (ES modules
 * resolve bare imports by walking up from the importing file). One esbuild run builds everything; when it fails (a
 * handler that does not compile yet), each entry is rebuilt alone so only the broken ones are reported broken.
 * A build is reused while none of its inputs (sources and node_modules files, by size and mtime) changed; the
 * last build is also kept in node_modules/.cache, so a new data directory (each test's) starts without one.
 */
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { esbuildSettings } from '../../cdk/bundling';

export interface BundleResult {
  /** name → bundle file, for every entry that built. */
  bundles: Record<string, string>;
  /** name → why it did not build. */
  failures: Record<string, string>;
  bootstrap: string;
}

export const bootstrapEntry = fileURLToPath(new URL('./bootstrap.ts', import.meta.url));
const bootstrapName = '_bootstrap';

const options: BuildOptions = {
  bundle: true,
  platform: esbuildSettings.platform,
  format: esbuildSettings.format,
  target: 'node20',
  minify: esbuildSettings.minify,
  sourcemap: esbuildSettings.sourcemap,
  outExtension: { '.js': '.mjs' },
  mainFields: esbuildSettings.mainFields,
  external: esbuildSettings.external,
  alias: esbuildSettings.alias,
  banner: { js: esbuildSettings.banner },
  logLevel: 'silent',
};

/** Makes `outdir/node_modules` the repository's node_modules, so the bundles' external imports resolve. */
function linkNodeModules(outdir: string, rootDir: string): void {
  const link = join(outdir, 'node_modules');
  const target = join(rootDir, 'node_modules');
  mkdirSync(outdir, { recursive: true });
  try {
    if (lstatSync(link).isSymbolicLink()) return;
    rmSync(link, { recursive: true, force: true });
  } catch {
    // no link yet
  }
  try {
    symlinkSync(target, link, 'junction');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // a concurrent bundler made it
  }
}

async function buildEntries(
  entries: Record<string, string>,
  outdir: string,
  rootDir: string,
): Promise<Metafile> {
  const result = await build({
    ...options,
    entryPoints: entries,
    outdir,
    absWorkingDir: rootDir,
    metafile: true,
  });
  return result.metafile;
}

interface Manifest {
  key: string;
  inputs: Record<string, [size: number, mtimeMs: number]>;
}

const fingerprint = (file: string): [number, number] => {
  const stat = statSync(file);
  return [stat.size, stat.mtimeMs];
};

function upToDate(manifestFile: string, key: string, rootDir: string, outputs: string[]): boolean {
  if (!existsSync(manifestFile) || !outputs.every((file) => existsSync(file))) return false;
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
    if (manifest.key !== key) return false;
    return Object.entries(manifest.inputs).every(([input, [size, mtimeMs]]) => {
      const [nowSize, nowMtime] = fingerprint(resolve(rootDir, input));
      return nowSize === size && nowMtime === mtimeMs;
    });
  } catch {
    return false; // an input is gone, or the manifest is unreadable
  }
}

/** Keeps a copy of a fresh build where the next data directory can pick it up (best effort). */
function publish(outdir: string, cacheDir: string): void {
  const staging = `${cacheDir}.${process.pid}-${Date.now()}`;
  try {
    // not the node_modules link: the cache already sits inside node_modules
    cpSync(outdir, staging, { recursive: true, filter: (source) => source !== join(outdir, 'node_modules') });
    rmSync(cacheDir, { recursive: true, force: true });
    renameSync(staging, cacheDir);
  } catch {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** `entries`: name → entry file (absolute, or relative to `rootDir`). */
export async function bundleFunctions(
  entries: Record<string, string>,
  outdir: string,
  rootDir = process.cwd(),
): Promise<BundleResult> {
  const failures: Record<string, string> = {};
  const present: Record<string, string> = {};
  for (const [name, entry] of Object.entries(entries)) {
    const file = resolve(rootDir, entry);
    if (existsSync(file)) present[name] = file;
    else failures[name] = `Cannot find module '${entry}'`;
  }
  const all = { ...present, [bootstrapName]: bootstrapEntry };
  const manifestFile = join(outdir, 'manifest.json');
  const key = JSON.stringify({ all, options });
  const outputs = (dir: string) => Object.keys(all).map((name) => join(dir, `${name}.mjs`));
  const cacheDir = join(
    rootDir,
    'node_modules',
    '.cache',
    'sluice-functions',
    createHash('sha256').update(key).digest('hex').slice(0, 16),
  );
  if (upToDate(manifestFile, key, rootDir, outputs(outdir))) {
    // this data directory's build is current
  } else if (upToDate(join(cacheDir, 'manifest.json'), key, rootDir, outputs(cacheDir))) {
    cpSync(cacheDir, outdir, { recursive: true });
  } else {
    try {
      const metafile = await buildEntries(all, outdir, rootDir);
      const inputs = Object.fromEntries(
        Object.keys(metafile.inputs)
          .filter((input) => existsSync(resolve(rootDir, input))) // not esbuild's virtual modules
          .map((input) => [input, fingerprint(resolve(rootDir, input))]),
      );
      writeFileSync(manifestFile, JSON.stringify({ key, inputs } satisfies Manifest));
      publish(outdir, cacheDir);
    } catch {
      await buildEachAlone(present, outdir, rootDir, failures);
    }
  }
  linkNodeModules(outdir, rootDir);
  const bundles = Object.fromEntries(
    Object.keys(present)
      .filter((name) => !(name in failures))
      .map((name) => [name, join(outdir, `${name}.mjs`)]),
  );
  return { bundles, failures, bootstrap: join(outdir, `${bootstrapName}.mjs`) };
}

async function buildEachAlone(
  present: Record<string, string>,
  outdir: string,
  rootDir: string,
  failures: Record<string, string>,
): Promise<void> {
  await buildEntries({ [bootstrapName]: bootstrapEntry }, outdir, rootDir);
  await Promise.all(
    Object.entries(present).map(async ([name, file]) => {
      try {
        await buildEntries({ [name]: file }, outdir, rootDir);
      } catch (error) {
        failures[name] = error instanceof Error ? error.message : String(error);
      }
    }),
  );
}
