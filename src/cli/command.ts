// What every tsafs command is: a name, a one-line summary, its usage, and run(ctx, args).
// `args` are the words after the command name with the global options already taken out.

import type { AfsClient } from '../client.js';
import type { Progress } from './progress.js';

export interface CliContext {
  /** --json: machine-readable output on stdout, never a progress bar. */
  readonly json: boolean;
  /** --cell, lower-cased (undefined = ThisCell). */
  readonly cell: string | undefined;
  /** The client, created (not started) on first use; main closes it. */
  readonly client: AfsClient;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
  /** A path as the user typed it, made absolute against the working directory when relative. */
  afsPath(p: string): string;
  /** A progress bar on stderr, or a silent one when stderr is no terminal or --json. */
  progress(label: string, total: number | undefined): Progress;
  /** A warning that does not stop the command: `tsafs <cmd>: <message>` on stderr. */
  warn(message: string): void;
}

/** One option of a command: node:util parseArgs's fields, plus what help says about it. */
export interface OptionSpec {
  readonly type: 'boolean' | 'string';
  readonly short?: string;
  readonly multiple?: boolean;
  /** The value's name in help ("<file>"), for string options. */
  readonly arg?: string;
  /** One line for help: what the option does. */
  readonly describe: string;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Usage text, starting with "usage: tsafs <name> ...". */
  readonly usage: string;
  /** The command's own options: parsed with this table and described from it in --help. */
  readonly options?: OptionTable;
  /** What the arguments are, one line each ("<path>  an AFS path"). */
  readonly operands?: readonly string[];
  /** Example command lines with what they do ("tsafs ls -lh /afs/x   # ..."). */
  readonly examples?: readonly string[];
  /** Resolves to an exit code (0 when undefined); throws for failure (main maps the error). */
  run(ctx: CliContext, args: string[]): Promise<number | undefined>;
}
