// Command-line parsing: the global options may stand anywhere (before or after the command, as
// `git`-style and `fs`-style habits differ); the rest belongs to the command, which parses it
// strictly with parseCommandArgs.

import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { AuthOption, LevelName } from '../auth/identity.js';
import { TokenStore } from '../auth/token-store.js';
import type { OptionTable } from './command.js';
import { UsageError } from './output.js';

export interface GlobalOptions {
  cell?: string;
  cellservdb?: string;
  json: boolean;
  anonymous: boolean;
  localauth: boolean;
  localauthAs?: string;
  level?: LevelName;
  /** Local address[:port] of the client's Rx endpoint. */
  bind?: { host?: string; port?: number };
  help: boolean;
  version: boolean;
  noDns: boolean;
  quiet: boolean;
  verbose: boolean;
}

export interface ParsedCommandLine {
  globals: GlobalOptions;
  command: string | undefined;
  args: string[];
}

const VALUED = new Set(['cell', 'cellservdb', 'localauth-as', 'level', 'bind']);
const BOOLEAN = new Set(['json', 'anonymous', 'localauth', 'help', 'version', 'no-dns', 'quiet', 'verbose']);
const LEVELS: readonly LevelName[] = ['clear', 'auth', 'crypt'];

/**
 * Split argv into the global options, the command name and the command's own words. `claims`
 * names the global options a command takes as its own when they follow it (mkmount's --cell is
 * the mount point's cell, as in `fs mkmount -cell`).
 */
export function parseCommandLine(
  argv: readonly string[],
  claims: Readonly<Record<string, readonly string[]>> = {},
): ParsedCommandLine {
  const g: GlobalOptions = {
    json: false,
    anonymous: false,
    localauth: false,
    help: false,
    version: false,
    noDns: false,
    quiet: false,
    verbose: false,
  };
  let command: string | undefined;
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === '--') {
      // Everything after `--` is the command's, verbatim (names that look like options).
      if (command === undefined) {
        command = argv[i + 1];
        i++;
      }
      args.push('--', ...argv.slice(i + 1));
      break;
    }
    // After the command, -h is the command's (ls -h: human sizes); main decides whether it means help.
    if (tok === '-h' && command === undefined) {
      g.help = true;
      continue;
    }
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const name = eq >= 0 ? tok.slice(2, eq) : tok.slice(2);
      if (command !== undefined && Object.hasOwn(claims, command) && claims[command]!.includes(name)) {
        args.push(tok);
        if (VALUED.has(name) && eq < 0 && i + 1 < argv.length) args.push(argv[++i]!);
        continue;
      }
      if (VALUED.has(name)) {
        const value = eq >= 0 ? tok.slice(eq + 1) : argv[++i];
        if (value === undefined || (eq < 0 && value.startsWith('--')))
          throw new UsageError(`option --${name} needs a value`);
        setValued(g, name, value);
        continue;
      }
      if (BOOLEAN.has(name)) {
        if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
        setBoolean(g, name);
        continue;
      }
    }
    if (command === undefined) {
      if (tok.startsWith('-')) throw new UsageError(`unknown option '${tok}' before the command`);
      command = tok;
      continue;
    }
    args.push(tok);
  }
  if (g.anonymous && (g.localauth || g.localauthAs !== undefined))
    throw new UsageError('--anonymous and --localauth exclude each other');
  if (g.quiet && g.verbose) throw new UsageError('--quiet and --verbose exclude each other');
  if (g.anonymous && g.level)
    throw new UsageError('--level needs an authenticated identity, not --anonymous');
  return { globals: g, command, args };
}

function setValued(g: GlobalOptions, name: string, value: string): void {
  if (name === 'cell') g.cell = value.toLowerCase();
  else if (name === 'cellservdb') g.cellservdb = value;
  else if (name === 'bind') g.bind = parseBind(value);
  else if (name === 'localauth-as') {
    if (!value) throw new UsageError('--localauth-as needs a user name');
    g.localauthAs = value;
  } else {
    if (!(LEVELS as readonly string[]).includes(value))
      throw new UsageError(`--level must be one of ${LEVELS.join(', ')}, not '${value}'`);
    g.level = value as LevelName;
  }
}

/** `--bind addr`, `--bind addr:port` or `--bind :port` (IPv4). */
export function parseBind(value: string): { host?: string; port?: number } {
  const m = /^((?:\d{1,3}\.){3}\d{1,3})?(?::(\d{1,5}))?$/.exec(value);
  const port = m?.[2] === undefined ? undefined : Number(m[2]);
  if (
    !m ||
    value === '' ||
    (port !== undefined && port > 65535) ||
    m[1]?.split('.').some((o) => Number(o) > 255)
  )
    throw new UsageError(`--bind takes addr, addr:port or :port, not '${value}'`);
  return { ...(m[1] ? { host: m[1] } : {}), ...(port !== undefined ? { port } : {}) };
}

function setBoolean(g: GlobalOptions, name: string): void {
  if (name === 'json') g.json = true;
  else if (name === 'anonymous') g.anonymous = true;
  else if (name === 'localauth') g.localauth = true;
  else if (name === 'version') g.version = true;
  else if (name === 'no-dns') g.noDns = true;
  else if (name === 'quiet') g.quiet = true;
  else if (name === 'verbose') g.verbose = true;
  else g.help = true;
}

/** The client's `auth` option for the global options (undefined = 'auto', the stored token). */
export function authFor(g: GlobalOptions): AuthOption | undefined {
  if (g.anonymous) return 'anonymous';
  if (g.localauth || g.localauthAs !== undefined)
    return { localauth: { user: g.localauthAs }, ...(g.level ? { level: g.level } : {}) };
  // A level without localauth applies to the token `tsafs login` stored (an error if none).
  if (g.level) return { store: new TokenStore(), level: g.level };
  return undefined;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** A command's own options, strictly: an unknown option or a missing value is a usage error. */
export function parseCommandArgs<O extends Options>(
  args: string[],
  options: O,
  usage: string,
): {
  values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>['values'];
  positionals: string[];
} {
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: r.values, positionals: r.positionals };
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${usage}`);
  }
}

/** Exactly `min`..`max` positionals, or a usage error. */
export function expectPositionals(p: string[], min: number, max: number, usage: string): void {
  if (p.length < min || p.length > max) throw new UsageError(usage);
}

/** get and put: `[-r] <from> <to>`. */
export const COPY_OPTIONS = {
  recursive: { type: 'boolean', short: 'r', describe: 'copy a directory and everything under it' },
} satisfies OptionTable;

export function parseCopyArgs(
  args: string[],
  usage: string,
): { recursive: boolean; from: string; to: string } {
  const { values, positionals } = parseCommandArgs(args, COPY_OPTIONS, usage);
  if (positionals.length !== 2) throw new UsageError(usage);
  return { recursive: values.recursive ?? false, from: positionals[0]!, to: positionals[1]! };
}
