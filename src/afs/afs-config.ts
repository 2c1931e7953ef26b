// Where an OpenAFS client's configuration is found, as OpenAFS finds it (src/auth/cellconfig.c
// afsconf_Open / afsconf_GetLocalCell, and the packaging's start scripts):
//   1. the client configuration directory: /etc/openafs (Debian's build), else /usr/vice/etc
//      (OpenAFS's own default); else, only when neither has a configuration, the directory named
//      by $AFSCONF, else the one named inside ~/.AFSCONF, else inside /.AFSCONF;
//   2. in it, CellServDB.local followed by CellServDB.dist where either exists (what OpenAFS's
//      RPM service concatenates into CellServDB at every start: tsafs has no such service, so it
//      merges them itself; a cell in both keeps its .local entry), else CellServDB; and CellAlias;
//   3. the local cell: $AFSCELL, else ThisCell in that directory.
// Everything looked at is recorded, so that errors and `tsafs config` can say where.

import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  type CellConfig,
  CellConfigError,
  type ConfigWarning,
  parseCellAlias,
  parseCellServDB,
  parseThisCell,
} from './cellservdb.js';

/** The client configuration directories searched first, in order. */
export const CLIENT_CONFIG_DIRS: readonly string[] = ['/etc/openafs', '/usr/vice/etc'];

export interface ConfiguredCell extends CellConfig {
  /** "file:line" of its ">cell" line, or "options" for cells given in code. */
  from: string;
}

export interface AfsConfig {
  /** The configuration directory used (undefined: none found, or files named explicitly). */
  dir: string | undefined;
  /** Every place looked at, in order, with what was found there. */
  looked: { path: string; found: boolean; used: boolean }[];
  cells: Map<string, ConfiguredCell>;
  /** alias → real cell name (CellAlias). */
  aliases: Map<string, string>;
  thisCell: string | undefined;
  /** Where the local cell came from: "$AFSCELL", a ThisCell path, or "options". */
  thisCellFrom: string | undefined;
  warnings: ConfigWarning[];
}

export interface AfsConfigOptions {
  /** A CellServDB to read instead of searching (must exist), or false for none. */
  cellServDB?: string | false;
  /** A ThisCell to read instead of searching (must exist), or false for none ($AFSCELL too). */
  thisCell?: string | false;
  /** The directories searched first (default CLIENT_CONFIG_DIRS). */
  dirs?: readonly string[];
  /** The environment ($AFSCONF, $AFSCELL, $HOME; default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new CellConfigError('READ_FAILED', `cannot read ${path}: ${code ?? String(e)}`, { cause: e });
  }
}

async function readRequired(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new CellConfigError('READ_FAILED', `cannot read ${path}`, { cause: e });
  }
}

const CELLSERVDB_FILES = ['CellServDB.local', 'CellServDB.dist', 'CellServDB'] as const;

/** Finds and reads the configuration; never throws for a missing default file, only for explicit ones. */
export async function loadAfsConfig(o: AfsConfigOptions = {}): Promise<AfsConfig> {
  const env = o.env ?? process.env;
  const cfg: AfsConfig = {
    dir: undefined,
    looked: [],
    cells: new Map(),
    aliases: new Map(),
    thisCell: undefined,
    thisCellFrom: undefined,
    warnings: [],
  };
  const texts = new Map<string, string>();
  const look = async (path: string): Promise<string | undefined> => {
    const text = await readIfThere(path);
    cfg.looked.push({ path, found: text !== undefined, used: false });
    if (text !== undefined) texts.set(path, text);
    return text;
  };
  const use = (path: string) => {
    for (const l of cfg.looked) if (l.path === path) l.used = true;
  };

  const searching = o.cellServDB === undefined || o.thisCell === undefined;
  if (searching) {
    const candidates = [...(o.dirs ?? CLIENT_CONFIG_DIRS)];
    for (const dir of candidates) {
      if (await hasConfig(dir, look)) {
        cfg.dir = dir;
        break;
      }
    }
    if (cfg.dir === undefined) {
      const fallback = await fallbackDir(env, look);
      if (fallback && (await hasConfig(fallback, look))) cfg.dir = fallback;
    }
  }

  // Cells.
  if (o.cellServDB !== false) {
    const files: string[] = [];
    if (typeof o.cellServDB === 'string') {
      texts.set(o.cellServDB, await readRequired(o.cellServDB));
      cfg.looked.push({ path: o.cellServDB, found: true, used: false });
      files.push(o.cellServDB);
    } else if (cfg.dir) {
      const local = join(cfg.dir, 'CellServDB.local');
      const dist = join(cfg.dir, 'CellServDB.dist');
      const split = [local, dist].filter((p) => texts.has(p));
      files.push(...(split.length > 0 ? split : [join(cfg.dir, 'CellServDB')].filter((p) => texts.has(p))));
    }
    for (const file of files) {
      use(file);
      const r = parseCellServDB(texts.get(file)!, file);
      cfg.warnings.push(...r.warnings);
      for (const [name, c] of r.cells) {
        if (cfg.cells.has(name)) continue; // .local before .dist: the local entry wins
        cfg.cells.set(name, { name, comment: c.comment, servers: c.servers, from: `${file}:${c.line}` });
      }
    }
    if (cfg.dir && typeof o.cellServDB !== 'string') {
      const aliasFile = join(cfg.dir, 'CellAlias');
      const text = await look(aliasFile);
      if (text !== undefined) {
        use(aliasFile);
        const r = parseCellAlias(text, aliasFile);
        cfg.warnings.push(...r.warnings);
        cfg.aliases = r.aliases;
      }
    }
  }

  // The local cell.
  if (o.thisCell !== false) {
    const fromEnv = env.AFSCELL?.trim();
    if (typeof o.thisCell === 'string') {
      cfg.thisCell = parseThisCell(await readRequired(o.thisCell));
      cfg.thisCellFrom = o.thisCell;
    } else if (fromEnv) {
      cfg.thisCell = parseThisCell(fromEnv);
      cfg.thisCellFrom = '$AFSCELL';
    } else if (cfg.dir) {
      const path = join(cfg.dir, 'ThisCell');
      const text = texts.get(path);
      if (text !== undefined) {
        use(path);
        try {
          cfg.thisCell = parseThisCell(text);
          cfg.thisCellFrom = path;
        } catch {
          cfg.warnings.push({ file: path, line: 1, message: 'ThisCell names no valid cell' });
        }
      }
    }
  }
  return cfg;
}

/** Whether `dir` holds a client configuration (reads and records each file it tries). */
async function hasConfig(dir: string, look: (p: string) => Promise<string | undefined>): Promise<boolean> {
  let any = false;
  for (const f of [...CELLSERVDB_FILES, 'ThisCell']) if ((await look(join(dir, f))) !== undefined) any = true;
  return any;
}

/** $AFSCONF, else the directory named in ~/.AFSCONF, else in /.AFSCONF (afsconf_Open's fallbacks). */
async function fallbackDir(
  env: Readonly<Record<string, string | undefined>>,
  look: (p: string) => Promise<string | undefined>,
): Promise<string | undefined> {
  if (env.AFSCONF) return env.AFSCONF;
  const home = env.HOME ?? homedir();
  for (const f of [join(home, '.AFSCONF'), '/.AFSCONF']) {
    const text = await look(f);
    const dir = text?.split('\n')[0]?.trim();
    if (dir) return dir;
  }
  return undefined;
}

/** One paragraph saying where the configuration was looked for, for error messages. */
export function describeSearch(
  cfg: AfsConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const seen = cfg.looked.map(
    (l) => `${l.path}${l.found ? (l.used ? ' (read)' : ' (found, not used)') : ' (absent)'}`,
  );
  const vars = `AFSCELL ${env.AFSCELL ? `= ${env.AFSCELL}` : 'unset'}, AFSCONF ${env.AFSCONF ? `= ${env.AFSCONF}` : 'unset'}`;
  return `looked at: ${seen.length ? seen.join(', ') : 'nothing (configuration files turned off)'}; ${vars}`;
}
