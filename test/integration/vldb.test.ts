// VL over tsafs's own Rx against the real vlserver, refereed by `vos`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { vldbView } from '../../src/cli/vldb.js';
import { AfsClient } from '../../src/client.js';
import { uuidToString } from '../../src/rpc/types.js';
import { type CellEnv, cellEnv, vosExamine } from './helpers/cell.js';

const run = promisify(execFile);
let env: CellEnv;
let client: AfsClient;

before(async () => {
  env = await cellEnv();
  client = new AfsClient({ cellServDB: env.cellServDb, cell: env.cell });
  await client.start();
});
after(async () => {
  await client.close();
});

/** The VLDB half of `vos examine -noresolve` (after the volume-header block). */
function parseVosVldb(text: string) {
  const ids = (k: string) => {
    const m = new RegExp(`${k}:\\s*(\\d+)`).exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const sites = [...text.matchAll(/server (\S+) partition (\S+) (RW|RO|BK) Site\s*(?:-- (.*))?$/gm)].map(
    (m) => ({
      server: m[1],
      partition: m[2],
      type: m[3],
      note: (m[4] ?? '').trim(),
    }),
  );
  const n = /number of sites -> (\d+)/.exec(text);
  return { rw: ids('RWrite'), ro: ids('ROnly'), bk: ids('Backup'), nSites: n ? Number(n[1]) : -1, sites };
}

for (const which of ['root.cell', 'replicated'] as const) {
  test(`VLDB entry of ${which} matches vos examine field by field`, async () => {
    const volume = which === 'root.cell' ? 'root.cell' : env.roVolume;
    const vos = parseVosVldb(await vosExamine(volume, { noResolve: true }));
    const ours = await vldbView(client, volume);
    assert.equal(ours.name, volume);
    assert.equal(ours.rwId, vos.rw);
    if (ours.exists.includes('RO')) assert.equal(ours.roId, vos.ro);
    assert.ok(ours.exists.includes('RO'), `${volume} is replicated`);
    assert.equal(ours.sites.length, vos.nSites);
    assert.deepEqual(
      ours.sites.map((s) => ({
        server: s.server,
        partition: s.partition,
        type: s.type,
        note: s.notes.join(', '),
      })),
      vos.sites,
    );
  });
}

test('GetAddrsU gives the file server UUID that vos listaddrs shows, and 127.1.0.1', async () => {
  const entry = await client.vldbEntry('root.cell');
  const site = entry.sites[0]!;
  assert.ok(site.uuid, 'sites carry UUIDs');
  const r = await (await client.vl()).getAddrs(site.uuid);
  assert.deepEqual(r.addrs, [env.addr]);
  assert.ok(r.uniquifier >= 1);
  const { stdout } = await run('vos', ['listaddrs', '-printuuid', '-noresolve', '-localauth']);
  const want = uuidToString(site.uuid);
  assert.ok(stdout.includes(want), `vos listaddrs shows ${want}:\n${stdout}`);
  assert.ok(stdout.includes(env.addr));
});

test('an unknown volume is a typed ENOENT carrying VL_NOENT', async () => {
  await assert.rejects(client.vldbEntry('no.such.volume.here'), (e: unknown) => {
    const err = e as { code?: string; afsName?: string; afsCode?: number };
    return err.code === 'ENOENT' && err.afsName === 'VL_NOENT' && err.afsCode === 363524;
  });
});

test('the CLI prints the same entry as JSON and exits 0; a missing volume exits 3', async () => {
  const { stdout } = await run(process.execPath, [
    'dist/src/cli/main.js',
    'vldb',
    'root.cell',
    '--json',
    '--cell',
    env.cell,
    '--cellservdb',
    env.cellServDb,
  ]);
  const v = JSON.parse(stdout);
  assert.equal(v.name, 'root.cell');
  await assert.rejects(
    run(process.execPath, [
      'dist/src/cli/main.js',
      'vldb',
      'no.such.volume',
      '--cell',
      env.cell,
      '--cellservdb',
      env.cellServDb,
    ]),
    (e: { code?: number; stderr?: string }) => e.code === 3 && /VL_NOENT/.test(e.stderr ?? ''),
  );
});
