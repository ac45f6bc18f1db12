import { cacheKey } from '../auth/token-cache';
import type { Context } from '../context';
import { formatTable } from '../format';

/** `sluice endpoints`: the target the other commands will use, and who is signed in to it. */
export async function showEndpoints(ctx: Context): Promise<number> {
  const target = await ctx.target();
  const tokens = await ctx.tokenCache().get(cacheKey(target));
  const signedInAs = tokens ? (tokens.username ?? 'yes') : null;
  if (ctx.json) {
    ctx.printJson({ ...target, signedInAs });
    return 0;
  }
  const rows = Object.entries(target)
    .filter(([key, value]) => key !== 'local' && value !== undefined && value !== '')
    .map(([key, value]) => [key, String(value)]);
  rows.push(['signedInAs', signedInAs ?? '(not signed in)']);
  ctx.print(formatTable(['NAME', 'VALUE'], rows));
  return 0;
}
