import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context';
import { UsageError } from '../errors';
import { formatBytes } from '../format';
import { putFile } from '../http/put-file';
import { ProgressReporter } from '../progress';
import { exitCodeForJob } from '../jobs/job';
import { followJob, type WatchFlags } from './jobs';

/** What the file is, from its name: the API decompresses `.gz` and reads NDJSON or a JSON array. */
export function uploadContentType(filename: string): string {
  const name = filename.toLowerCase();
  if (name.endsWith('.gz')) return 'application/gzip';
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'application/x-ndjson';
  if (name.endsWith('.json')) return 'application/json';
  return 'application/octet-stream';
}

/** `sluice upload <file> [--watch]`: a signed upload URL, then the file streamed to it with progress. */
export async function upload(
  ctx: Context,
  file: string,
  flags: WatchFlags & { watch?: boolean },
): Promise<number> {
  const filePath = path.resolve(ctx.io.cwd, file);
  const info = await stat(filePath).catch(() => undefined);
  if (!info?.isFile()) throw new UsageError(`cannot read ${file}`);

  const api = await ctx.api();
  const filename = path.basename(filePath);
  const contentType = uploadContentType(filename);
  const created = await api.createUpload(filename, contentType);

  const progress = new ProgressReporter({
    total: info.size,
    out: ctx.io.stderr,
    tty: ctx.io.stderr.isTTY === true,
  });
  await putFile(created.uploadUrl, filePath, {
    size: info.size,
    contentType,
    onProgress: (sent) => progress.update(sent),
  });
  progress.finish();

  if (!ctx.json) {
    ctx.print(created.jobId);
    ctx.note(`uploaded ${filename} (${formatBytes(info.size)})`);
  }
  if (!flags.watch) {
    if (ctx.json) ctx.printJson({ jobId: created.jobId, filename, bytes: info.size });
    return 0;
  }
  const job = await followJob(ctx, api, created.jobId, flags);
  if (ctx.json) ctx.printJson(job);
  return exitCodeForJob(job);
}
