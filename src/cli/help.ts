// Help text generated from the command registry and each command's option table, so that help
// cannot forget a switch: `tsafs --help`, `tsafs <cmd> --help`, `tsafs help <cmd>`.

import type { Command, OptionSpec } from './command.js';

/** The global options, described once (main parses them; help and completion show them). */
export const GLOBAL_OPTIONS: readonly { flag: string; describe: string }[] = [
  { flag: '--cell <name>', describe: 'the cell (default: $AFSCELL, else ThisCell)' },
  {
    flag: '--cellservdb <path>',
    describe: 'CellServDB to read (default: searched as OpenAFS does; see tsafs config)',
  },
  { flag: '--no-dns', describe: 'never look cells up in DNS (also TSAFS_DNS=off)' },
  { flag: '--json', describe: 'machine-readable output (read commands)' },
  { flag: '--anonymous', describe: 'no token: the system:anyuser identity' },
  {
    flag: '--localauth',
    describe: 'mint a ticket from the server KeyFile (as "admin", like vos -localauth)',
  },
  { flag: '--localauth-as <user>', describe: '... as that user' },
  { flag: '--level clear|auth|crypt', describe: 'rxkad protection (default crypt)' },
  {
    flag: '--bind <addr[:port]>',
    describe: 'local address/port of the Rx socket (callbacks come back to it)',
  },
  { flag: '--quiet', describe: 'no warnings, no progress bars' },
  { flag: '--verbose', describe: 'trace record and RPC activity on stderr (as NODE_DEBUG=tsafs)' },
  { flag: '--help, -h', describe: 'help (tsafs help <command>: that command in full)' },
  { flag: '--version', describe: 'print the version and exit' },
];

export const EXIT_CODES =
  'exit codes: 0 ok, 1 failed, 2 bad usage, 3 not found, 4 permission denied, 5 no server answered';

function flagOf(name: string, o: OptionSpec): string {
  const long = `--${name}${o.type === 'string' ? ` ${o.arg ?? '<value>'}` : ''}`;
  return o.short ? `-${o.short}, ${long}` : long;
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const w = Math.min(32, Math.max(0, ...rows.map(([a]) => a.length)));
  return rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`);
}

/** The whole help of one command: usage, what it does, every option, operands, examples. */
export function commandHelp(c: Command): string {
  const out = [c.usage, '', `${c.summary}.`];
  const opts = Object.entries(c.options ?? {});
  out.push('', 'options:');
  if (opts.length === 0) out.push('  (none of its own)');
  else out.push(...table(opts.map(([n, o]) => [flagOf(n, o), o.describe] as const)));
  if (c.operands?.length) out.push('', 'arguments:', ...c.operands.map((l) => `  ${l}`));
  if (c.examples?.length) out.push('', 'examples:', ...c.examples.map((l) => `  ${l}`));
  out.push('', 'global options:', ...table(GLOBAL_OPTIONS.map((g) => [g.flag, g.describe] as const)));
  out.push('', EXIT_CODES, '');
  return out.join('\n');
}

/** `tsafs --help`: every command with its summary, and the global options. */
export function generalHelp(cmds: readonly Command[]): string {
  return [
    'usage: tsafs <command> [options] [args]',
    '',
    'commands:',
    ...table(cmds.map((c) => [c.name, c.summary] as const)),
    '',
    'tsafs help <command> (or tsafs <command> --help) describes a command in full.',
    '',
    'global options (anywhere on the line):',
    ...table(GLOBAL_OPTIONS.map((g) => [g.flag, g.describe] as const)),
    '',
    EXIT_CODES,
    '',
  ].join('\n');
}
