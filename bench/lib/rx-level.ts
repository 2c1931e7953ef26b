// The security level a process's data actually travelled at, read from the file server
// (`rxdebug -allconnections`), so a benchmark states each side's level from evidence instead of
// assuming it.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { runProcess } from './proc.js';

export type ReadLevel = 'rxnull' | 'clear' | 'auth' | 'crypt';

/** A connection counts as the data connection once the server sent it this much. */
const DATA_BYTES = 1 << 20;

/**
 * UDP ports a process has bound: its socket inodes (/proc/<pid>/fd) looked up in /proc/net/udp.
 * Only that process's own entries are read: `ss -p` reads every process's, and blocks on one
 * stuck in the kernel (e.g. behind a hung FUSE mount).
 */
async function udpPorts(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  try {
    for (const fd of await readdir(`/proc/${pid}/fd`)) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m) inodes.add(m[1]!);
    }
  } catch {
    return []; // gone already
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (f.length > 9 && inodes.has(f[9]!)) ports.push(Number.parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** The child of `parent` running `name`, from the parent's own /proc entry (not a scan of all). */
async function childPid(parent: number, name: string): Promise<number | undefined> {
  const kids = await readFile(`/proc/${parent}/task/${parent}/children`, 'utf8').catch(() => '');
  for (const k of kids.trim().split(/\s+/).filter(Boolean)) {
    const comm = await readFile(`/proc/${k}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === name) return Number(k);
  }
  return undefined;
}

interface ServerConn {
  level: ReadLevel;
  /** Bytes the server sent on it (rxkad keeps this count; rxnull connections show none). */
  sent?: number;
}

/** The server connections whose client port is one of `ports`, as rxdebug describes them. */
export async function serverConns(server: string, ports: number[]): Promise<ServerConn[]> {
  const r = await runProcess('rxdebug', [server, '7000', '-allconnections'], { timeoutMs: 30_000 });
  const blocks = r.stdout.split(/^(?=Connection from host)/m);
  const out: ServerConn[] = [];
  for (const b of blocks) {
    const m = /^Connection from host [\d.]+, port (\d+),/.exec(b);
    if (!m || !ports.includes(Number(m[1])) || !/server conn/.test(b)) continue;
    const idx = /security index (\d+)/.exec(b)?.[1];
    const sent = /Sent (\d+) bytes/.exec(b)?.[1];
    if (idx === '0') out.push({ level: 'rxnull' });
    else if (idx === '2') {
      const lvl = /rxkad: level (\w+)/.exec(b)?.[1];
      if (lvl === 'clear' || lvl === 'auth' || lvl === 'crypt')
        out.push({ level: lvl, sent: sent === undefined ? undefined : Number(sent) });
    }
  }
  return out;
}

/**
 * The level the bulk data had: that of the rxkad connections the server sent at least 1 MiB on;
 * rxnull when every connection is rxnull. Anything else is described instead (clients also keep
 * small anonymous connections, e.g. tsafs's GetCapabilities probe, which do not count).
 */
export function dataLevel(conns: ServerConn[]): ReadLevel | string {
  const bulk = [...new Set(conns.filter((c) => (c.sent ?? 0) >= DATA_BYTES).map((c) => c.level))];
  if (bulk.length === 1) return bulk[0]!;
  if (conns.length > 0 && conns.every((c) => c.level === 'rxnull')) return 'rxnull';
  if (conns.length === 0) return 'no connection seen';
  return `unclear: ${conns.map((c) => `${c.level}${c.sent === undefined ? '' : ` ${c.sent} B`}`).join(', ')}`;
}

/**
 * Note process `pid`'s UDP ports as soon as it has any, and once `done` settles ask the file
 * server about the connections from them (the server keeps a connection for minutes after its
 * client is gone, with the final byte counts).
 */
export async function watchLevel(
  pid: number,
  server: string,
  done: Promise<unknown>,
  /** Watch the child of `pid` with this command name instead (e.g. afsio under time(1)). */
  childName?: string,
): Promise<ReadLevel | string> {
  let ports: number[] = [];
  let finished = false;
  const finish = () => {
    finished = true;
  };
  done.then(finish, finish);
  while (ports.length === 0 && !finished) {
    const target = childName ? await childPid(pid, childName) : pid;
    ports = target === undefined ? [] : await udpPorts(target);
    if (ports.length === 0) await new Promise((r) => setTimeout(r, 50));
  }
  await done.catch(() => undefined);
  if (ports.length === 0) return 'no ports seen';
  return dataLevel(await serverConns(server, ports));
}
