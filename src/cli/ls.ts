// tsafs ls [-l] [-R] [-a] [path...]: list directories like ls(1); mount points appear as the
// directories they lead to (as every AFS client shows them), with their target in --json.
// Names come from the server: on a terminal their control characters are shown as '?' (ls -q);
// a subdirectory that cannot be listed (gone, or a duplicate name that is not a directory) is
// reported and skipped, and the command then exits 1, as ls does.

import type { AfsFs } from '../fs/promises.js';
import type { AfsFileKind, AfsStats } from '../fs/stats.js';
import { AfsError } from '../rpc/errors.js';
import { parseCommandArgs } from './args.js';
import type { CliContext, Command, OptionTable } from './command.js';
import { childPath, fidString, jsonName, lsDate, mapLimit, modeString, terminalSafe } from './format.js';
import { describeError, EXIT, printJson } from './output.js';

interface Entry {
  name: Buffer;
  path: Buffer;
  kind: AfsFileKind;
  /** With -l: lstat, or stat through a mount point. */
  stats?: AfsStats;
  /** Symlink target. */
  target?: Buffer;
  /** Mount point contents ("#cell:volume."). */
  mountPoint?: string;
}

interface Listing {
  path: string;
  isDirectory: boolean;
  entries: Entry[];
}

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');
const STAT_PARALLEL = 8;

async function describe(fs: AfsFs, e: Entry, long: boolean): Promise<Entry> {
  if (e.kind === 'mountpoint') {
    e.mountPoint = await fs.readMountPoint(e.path).catch(() => undefined);
    if (long) e.stats = await fs.stat(e.path).catch(() => fs.lstat(e.path));
  } else if (long) {
    // readdir brought each entry's status along; stat only what it could not.
    e.stats ??= await fs.lstat(e.path);
    if (e.kind === 'unknown') e.kind = e.stats.kind;
  }
  if (e.kind === 'symlink') e.target = (await fs.readlink(e.path, { encoding: 'buffer' })) as Buffer;
  return e;
}

async function listDir(fs: AfsFs, path: string, o: { long: boolean; all: boolean }): Promise<Entry[]> {
  const dirents = await fs.readdir(path, { withFileTypes: true, encoding: 'buffer' });
  const entries: Entry[] = dirents.map((d) => ({
    name: d.name,
    path: childPath(path, d.name),
    kind: d.kind,
    ...(d.stats ? { stats: d.stats } : {}),
  }));
  if (o.all) {
    entries.push({ name: DOT, path: childPath(path, DOT), kind: 'directory' });
    entries.push({ name: DOTDOT, path: childPath(path, DOTDOT), kind: 'directory' });
  }
  entries.sort((a, b) => Buffer.compare(a.name, b.name));
  const described = await mapLimit(entries, STAT_PARALLEL, (e) =>
    describe(fs, e, o.long).catch((err: unknown) => {
      // Removed between the directory read and its stat: it is no longer there to list.
      if (err instanceof AfsError && err.code === 'ENOENT') return undefined;
      throw err;
    }),
  );
  return described.filter((e): e is Entry => e !== undefined);
}

function entryJson(e: Entry): Record<string, unknown> {
  const out: Record<string, unknown> = { ...jsonName(e.name) };
  // Mount points are directories to the user; the JSON says where they lead.
  out.type = e.kind === 'mountpoint' ? 'directory' : e.kind;
  if (e.mountPoint !== undefined) out.mountPoint = e.mountPoint;
  if (e.target) out.target = e.target.toString('utf8');
  const s = e.stats;
  if (s) {
    Object.assign(out, {
      mode: s.mode,
      modeString: modeString(s.mode),
      nlink: s.nlink,
      owner: s.uid,
      group: s.gid,
      size: s.size,
      mtime: s.mtime.toISOString(),
      fid: fidString(s.fid),
      dataVersion: s.dataVersion.toString(),
    });
  }
  return out;
}

function longLines(entries: Entry[], show: (b: Buffer) => Buffer, human: boolean): Buffer[] {
  const cols = entries.map((e) => {
    const s = e.stats!;
    return [
      modeString(s.mode),
      String(s.nlink),
      String(s.uid),
      String(s.gid),
      human ? humanSize(s.size) : String(s.size),
      lsDate(s.mtime),
    ];
  });
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(0, ...cols.map((c) => c[i]!.length)));
  return entries.map((e, k) => {
    const c = cols[k]!;
    const head =
      `${c[0]} ${c[1]!.padStart(widths[1]!)} ${c[2]!.padEnd(widths[2]!)} ${c[3]!.padEnd(widths[3]!)} ` +
      `${c[4]!.padStart(widths[4]!)} ${c[5]} `;
    const parts = [Buffer.from(head), show(e.name)];
    if (e.target) parts.push(Buffer.from(' -> '), show(e.target));
    parts.push(Buffer.from('\n'));
    return Buffer.concat(parts);
  });
}

const OPTIONS = {
  long: {
    type: 'boolean',
    short: 'l',
    describe: 'long listing: mode, links, owner, group, size, date, name',
  },
  recursive: {
    type: 'boolean',
    short: 'R',
    describe: 'list subdirectories too (mount points are crossed once)',
  },
  all: { type: 'boolean', short: 'a', describe: 'include . and ..' },
  human: { type: 'boolean', short: 'h', describe: 'with -l: sizes as 1.5K, 20M, 3.1G (powers of 1024)' },
} satisfies OptionTable;

/** Sizes as GNU ls -h prints them: powers of 1024, rounded up, one decimal below 10. */
export function humanSize(n: number): string {
  if (n < 1024) return String(n);
  const units = 'KMGTPE';
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  let r = v < 10 ? Math.ceil(v * 10) / 10 : Math.ceil(v);
  if (r >= 1024 && u < units.length - 1) {
    r = 1;
    u++;
  }
  return `${r < 10 ? r.toFixed(1) : r}${units[u]}`;
}

export const command: Command = {
  name: 'ls',
  summary: 'list directories (-l long, -h human sizes, -R recursive, -a with . and ..)',
  usage: 'usage: tsafs ls [-l] [-h] [-R] [-a] [--json] [path...]',
  options: OPTIONS,
  examples: [
    'tsafs ls /afs/',
    'tsafs ls -lh /afs/example.org/user/me',
    'tsafs ls -R --json /afs/example.org/proj > tree.json',
  ],
  async run(ctx: CliContext, args: string[]) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS, this.usage);
    const o = { long: values.long ?? false, all: values.all ?? false, human: values.human ?? false };
    const fs = ctx.client.fs;
    const paths = positionals.length ? positionals.map((p) => ctx.afsPath(p)) : [defaultPath(ctx)];
    const listings: Listing[] = [];
    const files: Entry[] = [];
    // Warnings carry server-sent names too.
    const warn = (m: string) => ctx.warn(ctx.stderr.isTTY ? terminalSafe(Buffer.from(m)).toString() : m);
    const visited = new Set<string>();
    const descended = new Set<string>();
    let failed = false;
    const visit = async (path: string): Promise<void> => {
      const st = await fs.stat(path);
      const key = `${st.cell}:${fidString(st.fid)}`;
      if (visited.has(key)) {
        warn(`${path}: already listed (a mount point loop), not descending again`);
        return;
      }
      visited.add(key);
      const entries = await listDir(fs, path, o);
      listings.push({ path, isDirectory: true, entries });
      if (!values.recursive) return;
      for (const e of entries) {
        if (e.name.equals(DOT) || e.name.equals(DOTDOT)) continue;
        if (e.kind !== 'directory' && e.kind !== 'mountpoint') continue;
        const sub = e.path.toString();
        // A name listed twice leads to one path: list it once.
        if (descended.has(sub)) continue;
        descended.add(sub);
        try {
          await visit(sub);
        } catch (err) {
          warn(`cannot list ${sub}: ${describeError(err)}`);
          failed = true;
        }
      }
    };
    for (const p of paths) {
      // As ls: without -l a symlink to a directory named on the line is listed as the directory.
      const st = o.long ? await fs.lstat(p) : await fs.stat(p);
      if (st.isDirectory()) await visit(p);
      else
        files.push(await describe(fs, { name: Buffer.from(p), path: Buffer.from(p), kind: st.kind }, o.long));
    }
    if (ctx.json) {
      printJson([
        ...files.map((f) => ({ path: f.path.toString(), isDirectory: false, entries: [entryJson(f)] })),
        ...listings.map((l) => ({ path: l.path, isDirectory: true, entries: l.entries.map(entryJson) })),
      ]);
      return undefined;
    }
    const show = ctx.stdout.isTTY ? terminalSafe : (b: Buffer) => b;
    const out: Buffer[] = [];
    const emit = (entries: Entry[]) => {
      if (o.long) out.push(...longLines(entries, show, o.human));
      else for (const e of entries) out.push(show(e.name), Buffer.from('\n'));
    };
    emit(files);
    const headers = listings.length + files.length > 1 || values.recursive;
    listings.forEach((l, i) => {
      if (headers)
        out.push(
          Buffer.from(i > 0 || files.length ? '\n' : ''),
          show(Buffer.from(l.path)),
          Buffer.from(':\n'),
        );
      emit(l.entries);
    });
    ctx.stdout.write(Buffer.concat(out));
    return failed ? EXIT.FAILURE : undefined;
  },
};

function defaultPath(ctx: CliContext): string {
  const cwd = process.cwd();
  if (cwd === '/afs' || cwd.startsWith('/afs/')) return cwd;
  return ctx.cell ? `/afs/${ctx.cell}` : '/afs';
}
