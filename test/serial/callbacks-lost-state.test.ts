// A file server that lost its callback state (killed: the demand-attach server saves and restores
// that state only across a graceful restart) tells us on our next contact with InitCallBackState3;
// tsafs then drops exactly that server's promises and reads nothing stale.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CacheManagerService } from '../../src/afs/cmservice.js';
import { callRpc } from '../../src/rpc/client.js';
import { FS } from '../../src/rpc/fs.js';
import { RxEndpoint } from '../../src/rx/endpoint.js';
import { testClient, waitFor } from '../integration/helpers/afs-client.js';
import { type CellEnv, cellEnv, fixture } from '../integration/helpers/cell.js';
import { serverPid } from './helpers-server2.js';

let env: CellEnv;
let dir: string;

/** afsfix, retried while the demand-attach server salvages a volume after a crash. */
async function settled(args: string[]): Promise<void> {
  let last: unknown;
  const end = Date.now() + 120_000;
  while (Date.now() < end) {
    try {
      await fixture(args, 60_000);
      return;
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  throw last;
}

before(async () => {
  env = await cellEnv();
  dir = `lost-${process.pid}-${Date.now().toString(36)}`;
  await settled(['mkdir', `${env.rwVolume}:/${dir}`]);
  await settled(['write', `${env.rwVolume}:/${dir}/p`, '1000', '1']);
  await settled(['write', `${env.rwVolume}:/${dir}/q`, '10', '2']);
});
after(async () => {
  // Leave the volume usable for the tests that follow (it is salvaged after each kill).
  await settled(['rm', `${env.rwVolume}:/${dir}/p`]).catch(() => {});
  await settled(['rm', `${env.rwVolume}:/${dir}/q`]).catch(() => {});
  await settled(['rmdir', `${env.rwVolume}:/${dir}`]).catch(() => {});
  await settled(['stat', `${env.rwVolume}:/`]);
});

async function fileServerAnswers(ep: RxEndpoint): Promise<boolean> {
  try {
    await callRpc(
      ep,
      { host: env.addr, port: 7000, serviceId: 1 },
      FS.GetCapabilities,
      {},
      { timeouts: { hardDeadline: 2000 } },
    );
    return true;
  } catch {
    return false;
  }
}

test('a killed file server forgets our callbacks: its InitCallBackState3 on next contact drops them, no stale read', {
  timeout: 240_000,
}, async () => {
  const c = await testClient();
  const probe = await RxEndpoint.open({ host: '127.0.0.1' });
  // A file server runs no call from a new client until its callback service answers.
  new CacheManagerService(probe);
  try {
    const p = `${env.rwDir}/${dir}/p`;
    const before = (await c.fs.readFile(p)) as Buffer;
    assert.equal(before.length, 1000);
    const fid = (await c.fs.stat(p)).fid;
    assert.ok(c.cache?.hasPromise(env.cell, fid), 'we hold a promise on p');
    // server 1's (server 2 runs a dafileserver too)
    process.kill(await serverPid(1, 'dafileserver'), 'SIGKILL');
    // bosserver starts it again; its callback state is gone.
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(await waitFor(() => fileServerAnswers(probe), 120_000), 'the file server came back');
    // Another client changes p; the server no longer knows we cached it, so no break comes.
    // (The demand-attach server salvages the volume on first use after a crash: retry meanwhile.)
    assert.ok(
      await waitFor(
        () =>
          fixture(['write', `${env.rwVolume}:/${dir}/p`, '2000', '3'], 60_000).then(
            () => true,
            () => false,
          ),
        120_000,
      ),
      'the fixture rewrote p',
    );
    const resets = c.cm.stats.resets;
    // Our next contact with that server (any uncached object) brings its InitCallBackState3.
    await c.fs.stat(`${env.rwDir}/${dir}/q`);
    assert.ok(await waitFor(() => c.cm.stats.resets > resets, 10_000), 'InitCallBackState3 arrived');
    assert.ok(!c.cache?.hasPromise(env.cell, fid), 'the promise on p is gone');
    const after = (await c.fs.readFile(p)) as Buffer;
    assert.equal(after.length, 2000, 'p read afresh, not from the stale cache');
  } finally {
    await probe.close();
    await c.close();
  }
});

test('the periodic probe finds a restarted server by itself: its promises drop with no call of ours', {
  timeout: 240_000,
}, async () => {
  const c = await testClient({ probeIntervalMs: 1500 });
  const probe = await RxEndpoint.open({ host: '127.0.0.1' });
  new CacheManagerService(probe);
  try {
    const p = `${env.rwDir}/${dir}/p`;
    await c.fs.readFile(p);
    const fid = (await c.fs.stat(p)).fid;
    assert.ok(c.cache?.hasPromise(env.cell, fid));
    const pid = await serverPid(1, 'dafileserver');
    const resets = c.cm.stats.resets;
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(await waitFor(() => fileServerAnswers(probe), 120_000), 'the file server came back');
    assert.ok(
      await waitFor(() => c.cm.stats.resets > resets, 30_000),
      'the probe brought InitCallBackState3',
    );
    assert.ok(!c.cache?.hasPromise(env.cell, fid), 'the promise on p is gone');
  } finally {
    await probe.close();
    await c.close();
  }
});
