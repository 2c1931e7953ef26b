// tsafs checkservers [--json] [path...]: probe every file server the client knows now (after
// looking up the paths given, default the cell's root) and say which answer, as OpenAFS's
// `fs checkservers` does, with each address's state and round trip (kAFS's probe results).

import { rtt } from '../afs/inspect.js';
import { FS_PORT } from '../rpc/fs.js';
import { parseCommandArgs } from './args.js';
import type { CliContext, Command } from './command.js';
import { describeError, printJson } from './output.js';

const USAGE = 'usage: tsafs checkservers [--json] [path...]';

async function run(ctx: CliContext, args: string[]): Promise<number | undefined> {
  const { positionals } = parseCommandArgs(args, {}, USAGE);
  const c = ctx.client;
  await c.start();
  const paths = positionals.length
    ? positionals.map((p) => ctx.afsPath(p))
    : [`${c.mount}/${ctx.cell ?? c.thisCell ?? ''}`];
  for (const p of paths) {
    // A path on a dead server fails; its server is still known and still probed below.
    await c.fs.stat(p).catch((e: unknown) => ctx.warn(`${p}: ${describeError(e)}`));
  }
  await Promise.all([...c.net.servers()].map((s) => s.probeNow('on_demand')));
  const servers = c.inspect().servers.filter((s) => s.inMap);
  const down = servers.filter((s) => s.health.state !== 'responsive');
  if (ctx.json) {
    printJson({
      servers: servers.map((s) => ({ cell: s.cell, uuid: s.uuid, flags: s.flags, ...s.health })),
      unavailable: down.map((s) => s.addrs[0] ?? s.uuid),
    });
    return undefined;
  }
  for (const s of servers) {
    for (const a of s.health.addrs) {
      ctx.stdout.write(
        `${a.addr.padEnd(22)} ${a.state.padEnd(12)} ${rtt(a.rttMs).padEnd(9)} ${s.cell} ${s.uuid}` +
          `${a.error ? ` (${a.error})` : ''}\n`,
      );
    }
  }
  if (down.length === 0) ctx.stdout.write('All servers are running.\n');
  else
    ctx.stdout.write(
      `These servers unavailable due to network or server problems: ${down
        .map((s) => s.addrs.map((a) => a.replace(`:${FS_PORT}`, '')).join(' '))
        .join(' ')}.\n`,
    );
  return undefined;
}

export const command: Command = {
  name: 'checkservers',
  summary: 'probe the file servers the client knows and say which answer (fs checkservers)',
  usage: USAGE,
  run,
};
