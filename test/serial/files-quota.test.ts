// Issue 4 acceptance, quota: a write that would take a volume over its quota fails with EDQUOT.
// Changes the shared cell (creates a volume, mounts it, sets a quota), so it runs serially and
// removes everything it made, whatever happens.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { AfsClient } from '../../src/client.js';
import { type CellEnv, cellEnv, fixture } from '../integration/helpers/cell.js';
import {
  adminClient,
  clientFor,
  isAfsError,
  type Scratch,
  scratchDir,
} from '../integration/helpers/files.js';

const run = promisify(execFile);
const vos = (...args: string[]) => run('vos', [...args, '-localauth'], { timeout: 120_000 });

let env: CellEnv;
let client: AfsClient;
let anon: AfsClient;
let dir: Scratch;
const volume = `tsafs.q${process.pid % 100000}`;
let created = false;

before(async () => {
  env = await cellEnv();
  client = adminClient(env);
  dir = await scratchDir(client, 'files-quota');
  await vos('create', env.addr, 'a', volume, '-maxquota', '0');
  created = true;
  await fixture(['mkmount', `${dir.fixturePath}/q`, `%${volume}.`]);
  // The file server does not hold administrators to quotas: write as an ordinary (anonymous) user.
  await fixture(['setacl', `${volume}:/`, 'system:anyuser', 'rlidwk', 'system:administrators', 'rlidwka']);
  anon = clientFor(env, { auth: 'anonymous' });
});
after(async () => {
  await dir?.remove(); // removes the mount point, not the volume behind it
  if (created) await vos('remove', env.addr, 'a', volume);
  await anon?.close();
  await client?.close();
});

test('a write over a small quota fails with EDQUOT; within it succeeds', { timeout: 300_000 }, async () => {
  const q = `${dir.path}/q`;
  assert.equal((await client.fs.volumeStatus(q)).maxQuota, 0, 'no quota to begin with');
  await vos('setfields', volume, '-maxquota', '100');
  const vs = await client.fs.volumeStatus(q);
  assert.equal(vs.maxQuota, 100);
  assert.equal(vs.name, volume);
  await anon.fs.writeFile(`${q}/small`, Buffer.alloc(20 * 1024, 1));
  // The file server lets a store overshoot the quota by its spare blocks (fileserver -spare,
  // 1024 KiB by default): 2 MiB is over by more than that.
  await assert.rejects(
    anon.fs.writeFile(`${q}/big`, Buffer.alloc(2 * 1024 * 1024, 2)),
    isAfsError('EDQUOT', 'VOVERQUOTA'),
  );
  // The small file is intact; the volume is still usable once there is room.
  assert.equal(((await client.fs.readFile(`${q}/small`)) as Buffer).length, 20 * 1024);
  await vos('setfields', volume, '-maxquota', '0');
  await anon.fs.writeFile(`${q}/big`, Buffer.alloc(2 * 1024 * 1024, 2));
  assert.equal((await anon.fs.stat(`${q}/big`)).size, 2 * 1024 * 1024);
  assert.equal((await client.fs.volumeStatus(q)).maxQuota, 0);
});
