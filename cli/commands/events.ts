import type { Context } from '../context';
import { formatTable } from '../format';

export interface EventQuery {
  type: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));

/** `sluice events --type t [--since] [--until] [--limit] [--cursor]`: newest first. */
export async function listEvents(ctx: Context, query: EventQuery): Promise<number> {
  const page = await (await ctx.api()).listEvents(query);
  if (ctx.json) {
    ctx.printJson(page);
    return 0;
  }
  const rows = page.items.map((event) => [
    text(event.time),
    text(event.type),
    text(event.source),
    text(event.id),
  ]);
  ctx.print(rows.length > 0 ? formatTable(['TIME', 'TYPE', 'SOURCE', 'ID'], rows) : 'no events');
  if (page.nextCursor) ctx.note(`more: add --cursor ${page.nextCursor}`);
  return 0;
}

/** `sluice event <id> --source s`: the stored CloudEvent, always as JSON. */
export async function showEvent(ctx: Context, id: string, source: string): Promise<number> {
  ctx.printJson(await (await ctx.api()).getEvent(id, source));
  return 0;
}
