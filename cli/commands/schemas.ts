import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context';
import { CliError, UsageError } from '../errors';
import { formatTable } from '../format';

/** `sluice schema put <type> <file>`: the file must hold one JSON document (a JSON Schema). */
export async function putSchema(ctx: Context, type: string, file: string): Promise<number> {
  let body: string;
  try {
    body = await readFile(path.resolve(ctx.io.cwd, file), 'utf8');
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  try {
    JSON.parse(body);
  } catch (error) {
    throw new CliError(`${file} is not JSON: ${(error as Error).message}`);
  }
  const result = await (await ctx.api()).putSchema(type, body);
  if (ctx.json) ctx.printJson(result ?? { type });
  else ctx.note(`schema for ${type} stored`);
  return 0;
}

/** `sluice schema get <type>`: printed as JSON whatever the output mode, since it is a document. */
export async function getSchema(ctx: Context, type: string): Promise<number> {
  ctx.printJson(await (await ctx.api()).getSchema(type));
  return 0;
}

/** `sluice schema list [--limit] [--cursor]`. */
export async function listSchemas(ctx: Context, query: { limit?: number; cursor?: string }): Promise<number> {
  const page = await (await ctx.api()).listSchemas(query);
  if (ctx.json) {
    ctx.printJson(page);
    return 0;
  }
  const rows = page.items.map((item) => [item.type, item.updatedAt ?? '']);
  ctx.print(rows.length > 0 ? formatTable(['TYPE', 'UPDATED'], rows) : 'no schemas');
  if (page.nextCursor) ctx.note(`more: sluice schema list --cursor ${page.nextCursor}`);
  return 0;
}
