// tsafs config: what configuration was found where: the files looked at (and which were read),
// the local cell and where it came from, the cells and aliases, skipped lines, DNS discovery, and
// the environment variables that change any of it.

import { warningText } from '../afs/cellservdb.js';
import { AfsCellResolver } from '../afs/vl-dns.js';
import { defaultTokenPath } from '../auth/token-store.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { printJson } from './output.js';

const ENV_VARS = [
  'AFSCELL',
  'AFSCONF',
  'TSAFS_DNS',
  'TSAFS_TOKENS',
  'KRB5CCNAME',
  'KRB5_CONFIG',
  'KRB5_KTNAME',
];

export const command: Command = {
  name: 'config',
  summary: 'show the configuration found: files read, cells, local cell, DNS, environment',
  usage: 'usage: tsafs config [--json]',
  async run(ctx, args) {
    parseCommandArgs(args, {}, this.usage);
    const c = ctx.client;
    await c.start();
    const cfg = c.config!;
    const dns = c.discovery;
    let nameservers: string[] | string = [];
    if (dns) {
      try {
        nameservers = await new AfsCellResolver(dns).nameServers();
      } catch (e) {
        nameservers = (e as Error).message;
      }
    }
    const env = Object.fromEntries(ENV_VARS.map((k) => [k, process.env[k]]));
    const view = {
      configDir: cfg.dir,
      looked: cfg.looked,
      thisCell: c.thisCell,
      thisCellFrom: ctx.cell ? '--cell' : cfg.thisCellFrom,
      cells: [...cfg.cells.values()].map((x) => ({ name: x.name, servers: x.servers, from: x.from })),
      aliases: Object.fromEntries(cfg.aliases),
      warnings: cfg.warnings.map(warningText),
      dns: { discovery: dns !== undefined, nameservers },
      tokens: defaultTokenPath(),
      env,
    };
    if (ctx.json) {
      printJson(view);
      return undefined;
    }
    const out: string[] = [];
    out.push(`configuration directory: ${cfg.dir ?? '(none found)'}`);
    out.push('looked at, in order:');
    for (const l of cfg.looked)
      out.push(`  ${l.path}  ${l.found ? (l.used ? 'read' : 'found, not used') : 'absent'}`);
    out.push(
      `local cell: ${view.thisCell ?? '(none)'}${view.thisCellFrom ? ` (from ${view.thisCellFrom})` : ''}`,
    );
    out.push(`cells (${view.cells.length}):`);
    for (const x of view.cells)
      out.push(`  ${x.name}  ${x.servers.map((s) => s.addr).join(' ')}  (${x.from})`);
    for (const [alias, real] of cfg.aliases) out.push(`alias: ${alias} -> ${real}`);
    for (const w of view.warnings) out.push(`skipped: ${w}`);
    out.push(
      `DNS discovery of other cells: ${
        dns ? `on, nameservers ${Array.isArray(nameservers) ? nameservers.join(' ') : nameservers}` : 'off'
      }`,
    );
    out.push(`token store: ${view.tokens}`);
    out.push(`environment: ${ENV_VARS.map((k) => `${k}=${env[k] ?? '(unset)'}`).join(' ')}`);
    ctx.stdout.write(`${out.join('\n')}\n`);
    return undefined;
  },
};
