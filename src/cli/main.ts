#!/usr/bin/env node
// The tsafs command line: global options, then one command from the registry (commands.ts).

import { AfsClient } from '../client.js';
import { VERSION } from '../version.js';
import { authFor, type GlobalOptions, parseCommandLine } from './args.js';
import type { CliContext } from './command.js';
import { allCommands, CLAIMED_OPTIONS, loadCommand } from './commands.js';
import { describeError, EXIT, exitCodeFor, UsageError } from './output.js';
import { SILENT, TerminalProgress } from './progress.js';

const GLOBAL_HELP = `global options (anywhere on the line):
  --cell <name>          the cell (default: ThisCell)
  --cellservdb <path>    CellServDB to read (default: searched as OpenAFS does; tsafs config shows it)
  --no-dns               never look cells up in DNS (also TSAFS_DNS=off)
  --json                 machine-readable output (read commands)
  --anonymous            no token: the system:anyuser identity
  --localauth            mint a ticket from the server KeyFile (as "admin", like vos -localauth)
  --localauth-as <user>  ... as that user
  --level clear|auth|crypt   rxkad protection (default crypt)
  --bind <addr[:port]>   local address (and port) of the client's Rx socket
  -h, --help             help (tsafs <command> --help: that command's usage)
  --version              print the version and exit

exit codes: 0 ok, 1 failed, 2 bad usage, 3 not found, 4 permission denied, 5 no server answered
`;

async function helpText(): Promise<string> {
  const cmds = await allCommands();
  const lines = cmds.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`);
  return `usage: tsafs <command> [options] [args]\n\ncommands:\n${lines.join('\n')}\n\n${GLOBAL_HELP}`;
}

class Context implements CliContext {
  private made: AfsClient | undefined;
  readonly stdout = process.stdout;
  readonly stderr = process.stderr;
  readonly stdin = process.stdin;

  constructor(
    private readonly g: GlobalOptions,
    private readonly cmd: string,
  ) {}

  get json(): boolean {
    return this.g.json;
  }
  get cell(): string | undefined {
    return this.g.cell;
  }
  get client(): AfsClient {
    this.made ??= new AfsClient({
      cellServDB: this.g.cellservdb,
      cell: this.g.cell,
      auth: authFor(this.g),
      ...(this.g.noDns ? { dns: false as const } : {}),
      onWarning: (m) => process.stderr.write(`tsafs: warning: ${m}\n`),
      bind: this.g.bind,
    });
    return this.made;
  }
  get started(): AfsClient | undefined {
    return this.made;
  }

  afsPath(p: string): string {
    if (p.startsWith('/')) return p;
    // Relative: against the working directory (useful when it is inside a mounted /afs). No
    // normalising: ".." must cross mount points as the AFS walk defines it.
    return `${process.cwd().replace(/\/+$/, '')}/${p}`;
  }

  progress(label: string, total: number | undefined) {
    if (this.g.json || !process.stderr.isTTY) return SILENT;
    return new TerminalProgress(process.stderr, label, total, process.stderr.columns || 80);
  }

  warn(message: string): void {
    process.stderr.write(`tsafs ${this.cmd}: ${message}\n`);
  }
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv, CLAIMED_OPTIONS);
  } catch (e) {
    process.stderr.write(`tsafs: ${describeError(e)}\n`);
    return EXIT.USAGE;
  }
  const { globals, command: name, args } = parsed;
  if (globals.version) {
    process.stdout.write(`tsafs ${VERSION}\n`);
    return EXIT.OK;
  }
  if (!name) {
    (globals.help ? process.stdout : process.stderr).write(await helpText());
    return globals.help ? EXIT.OK : EXIT.USAGE;
  }
  const command = await loadCommand(name);
  if (!command) {
    process.stderr.write(`tsafs: unknown command '${name}' (tsafs --help lists them)\n`);
    return EXIT.USAGE;
  }
  if (globals.help) {
    process.stdout.write(`${command.usage}\n`);
    return EXIT.OK;
  }
  const ctx = new Context(globals, name);
  let code: number;
  try {
    code = (await command.run(ctx, args)) ?? EXIT.OK;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') return EXIT.OK; // see the stdout handler
    const msg = e instanceof UsageError ? e.message : describeError(e);
    process.stderr.write(`tsafs ${name}: ${msg}\n`);
    code = exitCodeFor(e);
  }
  try {
    await ctx.started?.close();
  } catch (e) {
    process.stderr.write(`tsafs ${name}: closing: ${describeError(e)}\n`);
    if (code === EXIT.OK) code = EXIT.FAILURE;
  }
  return code;
}

// A reader that stops early (`tsafs cat f | head`) is not an error: end quietly, as with SIGPIPE.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(EXIT.OK);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`tsafs: ${describeError(e)}\n`);
    process.exitCode = EXIT.FAILURE;
  },
);
