// tsafs unlog [--cell c]: forget the stored token of one cell, or of every cell (like OpenAFS unlog).

import { parseArgs } from 'node:util';
import { TokenStore } from '../auth/token-store.js';
import { printJson, UsageError } from './output.js';

export async function unlogCommand(
  args: string[],
  ctx: { cell?: string; json: boolean; store?: TokenStore },
): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { cell: { type: 'string' } },
  });
  if (positionals.length > 0) throw new UsageError('usage: tsafs unlog [--cell c]');
  const cell = values.cell ?? ctx.cell;
  const removed = await (ctx.store ?? new TokenStore()).remove(cell);
  if (ctx.json) printJson({ cell: cell ?? null, removed });
  else process.stdout.write(`forgot ${removed} token(s)${cell ? ` for cell ${cell}` : ''}\n`);
}
