// The main job of tsafs against the loopback cell, as a library user writes it: list the cell,
// write a file, read it back, show its ACL, volume and servers — no kernel module involved.
import { createHash } from 'node:crypto';
import { rightsToString } from '../src/afs/acl.js';
import { AfsClient } from '../src/index.js';

const cell = process.env.AFS_CELL ?? 'tsafs.test';
const rw = process.env.AFS_RW_DIR ?? `/afs/${cell}/rw`;
const client = new AfsClient({ cellServDB: process.env.AFS_CELLSERVDB, cell });
const say = (s: string) => process.stdout.write(`${s}\n`);

try {
  await client.start();
  say(`tsafs demo: cell ${cell}, client UUID ${client.cm.uuidString}`);
  say(`\n$ ls /afs\n${(await client.fs.readdir('/afs')).join('  ')}`);
  say(`\n$ ls -l /afs/${cell}`);
  for (const d of await client.fs.readdir(`/afs/${cell}`, { withFileTypes: true })) {
    const st = await client.fs.stat(`/afs/${cell}/${d.name}`);
    say(
      `  ${d.isMountPoint() ? 'mountpoint' : d.kind}  ${st.mode.toString(8)}  fid ${st.fid.volume}.${st.fid.vnode}.${st.fid.unique}  ${d.name}`,
    );
  }
  const path = `${rw}/demo-${process.pid}.txt`;
  const text = `Hello from tsafs at ${new Date().toISOString()}\n`;
  await client.fs.writeFile(path, text);
  say(`\n$ write ${path} (${text.length} bytes)`);
  const back = await client.fs.readFile(path, 'utf8');
  say(`$ read it back: ${JSON.stringify(back)}  ${back === text ? '(identical)' : '(DIFFERENT!)'}`);
  const big = Buffer.alloc(8 << 20, 7);
  const t0 = performance.now();
  await client.fs.writeFile(`${path}.big`, big);
  const t1 = performance.now();
  const again = (await client.fs.readFile(`${path}.big`)) as Buffer;
  const t2 = performance.now();
  const same =
    createHash('sha256').update(again).digest('hex') === createHash('sha256').update(big).digest('hex');
  say(
    `$ 8 MiB: write ${(8 / ((t1 - t0) / 1000)).toFixed(1)} MiB/s, read back ${(8 / ((t2 - t1) / 1000)).toFixed(1)} MiB/s (from the cache our write filled; a callback keeps it true), sha256 ${same ? 'matches' : 'DIFFERS'}`,
  );
  const st = await client.fs.stat(path);
  say(
    `\n$ stat ${path}\n  fid ${st.fid.volume}.${st.fid.vnode}.${st.fid.unique}  data version ${st.dataVersion}  owner ${st.owner}  size ${st.size}`,
  );
  const acl = await client.fs.getAcl(rw);
  say(`\n$ acl ${rw}`);
  for (const e of acl.positive) say(`  ${e.name}  ${rightsToString(e.rights)}`);
  const where = await client.fs.whereis(path);
  const vs = await client.fs.volumeStatus(path);
  say(
    `\n$ whereis: volume ${where.volume} (${where.type}, id ${where.volumeId}) on ${where.servers.join(', ')}`,
  );
  say(
    `$ quota: ${vs.maxQuota === 0 ? 'unlimited' : `${vs.maxQuota} KiB`}, ${vs.blocksInUse} KiB used, partition ${vs.partBlocksAvail} KiB free`,
  );
  await client.fs.rm(path);
  await client.fs.rm(`${path}.big`);
  say(`\n$ rm: cleaned up. Records before close:`);
  const snap = client.inspect();
  say(
    `  ${snap.cells.length} cell(s), ${snap.servers.length} file server(s), ${snap.volumes.length} volume(s)`,
  );
} finally {
  await client.close();
  say('client closed: every socket and timer released');
}
