#!/usr/bin/env node
// The tsafs command line: global options, then one command from the registry (commands.ts).

import { AfsClient } from '../client.js';
import { VERSION } from '../version.js';
import { authFor, type GlobalOptions, parseCommandLine } from './args.js';
import type { CliContext, Command } from './command.js';
import { allCommands, CLAIMED_OPTIONS, loadCommand } from './commands.js';
import { commandHelp, generalHelp } from './help.js';
import { describeError, EXIT, exitCodeFor, UsageError } from './output.js';
import { SILENT, TerminalProgress } from './progress.js';
import { startTracing } from './trace.js';

/** The command's help is asked for: --help anywhere, -h unless the command has its own -h. */
function wantsHelp(command: Command, globals: GlobalOptions, args: readonly string[]): boolean {
  if (globals.help) return true;
  const ownH = Object.values(command.options ?? {}).some((o) => o.short === 'h');
  const end = args.indexOf('--');
  return !ownH && (end < 0 ? args : args.slice(0, end)).includes('-h');
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
      onWarning: (m) => {
        if (!this.g.quiet) process.stderr.write(`tsafs: warning: ${m}\n`);
      },
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
    if (this.g.json || this.g.quiet || !process.stderr.isTTY) return SILENT;
    return new TerminalProgress(process.stderr, label, total, process.stderr.columns || 80);
  }

  warn(message: string): void {
    if (!this.g.quiet) process.stderr.write(`tsafs ${this.cmd}: ${message}\n`);
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
    (globals.help ? process.stdout : process.stderr).write(generalHelp(await allCommands()));
    return globals.help ? EXIT.OK : EXIT.USAGE;
  }
  if (name === 'help') {
    // `tsafs help <command>`, as OpenAFS's `fs help <cmd>`.
    if (args.length === 0) {
      process.stdout.write(generalHelp(await allCommands()));
      return EXIT.OK;
    }
    const about = await loadCommand(args[0]!);
    if (!about) {
      process.stderr.write(`tsafs: unknown command '${args[0]}' (tsafs --help lists them)\n`);
      return EXIT.USAGE;
    }
    process.stdout.write(commandHelp(about));
    return EXIT.OK;
  }
  const command = await loadCommand(name);
  if (!command) {
    process.stderr.write(`tsafs: unknown command '${name}' (tsafs --help lists them)\n`);
    return EXIT.USAGE;
  }
  if (wantsHelp(command, globals, args)) {
    process.stdout.write(commandHelp(command));
    return EXIT.OK;
  }
  const stopTracing = startTracing(globals.verbose);
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
  stopTracing();
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
