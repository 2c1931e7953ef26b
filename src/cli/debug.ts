// tsafs debug records [path...]: the client's records (cells, servers, volumes, server lists with
// ref/use counts and timers) after looking up the paths given (default: the cell's root), so a
// fresh process has something to show. The /proc/net/afs of tsafs.

import { formatSnapshot } from '../afs/inspect.js';
import { parseCommandArgs } from './args.js';
import type { CliContext, Command } from './command.js';
import { describeError, printJson, UsageError } from './output.js';

const USAGE = 'usage: tsafs debug records [--json] [path...]';

async function records(ctx: CliContext, args: string[]): Promise<number | undefined> {
  const { positionals } = parseCommandArgs(args, {}, USAGE);
  const c = ctx.client;
  await c.start();
  const paths = positionals.length
    ? positionals.map((p) => ctx.afsPath(p))
    : [`${c.mount}/${ctx.cell ?? c.thisCell ?? ''}`];
  let failed = false;
  for (const p of paths) {
    try {
      await c.fs.stat(p);
    } catch (e) {
      // The records are the point: show them even when the lookup failed (that is often why).
      ctx.warn(`${p}: ${describeError(e)}`);
      failed = true;
    }
  }
  const snap = c.inspect();
  if (ctx.json) printJson(snap);
  else ctx.stdout.write(formatSnapshot(snap));
  return failed ? 1 : undefined;
}

export const command: Command = {
  name: 'debug',
  summary: 'look inside the client (debug records: cells, servers, volumes)',
  usage: USAGE,
  async run(ctx, args) {
    const [sub, ...rest] = args;
    if (sub === 'records') return records(ctx, rest);
    throw new UsageError(sub === undefined ? USAGE : `unknown subcommand '${sub}'\n${USAGE}`);
  },
};
