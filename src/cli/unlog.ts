// tsafs unlog [--cell c]: forget the stored token of one cell, or of every cell (like OpenAFS unlog).

import { TokenStore } from '../auth/token-store.js';
import { expectPositionals, parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { printJson } from './output.js';

const USAGE = 'usage: tsafs unlog [--cell c]';

export const command: Command = {
  name: 'unlog',
  summary: "forget the stored token of --cell, or every cell's",
  usage: USAGE,
  async run(ctx, args) {
    const { positionals } = parseCommandArgs(args, {}, USAGE);
    expectPositionals(positionals, 0, 0, USAGE);
    const removed = await new TokenStore().remove(ctx.cell);
    if (ctx.json) printJson({ cell: ctx.cell ?? null, removed });
    else ctx.stdout.write(`forgot ${removed} token(s)${ctx.cell ? ` for cell ${ctx.cell}` : ''}\n`);
    return undefined;
  },
};
