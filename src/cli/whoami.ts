// tsafs whoami: the identity this command line uses in the cell (anonymous, token, localauth).

import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { printJson } from './output.js';

export const command: Command = {
  name: 'whoami',
  summary: 'the identity used in the cell (no secrets)',
  usage: 'usage: tsafs whoami [--json]',
  async run(ctx, args) {
    parseCommandArgs(args, {}, this.usage);
    const c = ctx.client;
    const identity = await c.whoami(ctx.cell);
    const cell = ctx.cell ?? c.thisCell;
    if (ctx.json) printJson({ cell, identity, anonymous: identity === 'anonymous' });
    else ctx.stdout.write(`${identity}${identity.includes(' in cell ') ? '' : ` in cell ${cell}`}\n`);
    return undefined;
  },
};
