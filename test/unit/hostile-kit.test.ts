// The hostile-server kit itself: an AfsClient walks, reads, lists and removes in a FakeCell exactly
// as in a real cell, and each scripted misbehaviour reaches the wire as scripted.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { AfsClient } from '../../src/client.js';
import { callRpc } from '../../src/rpc/client.js';
import { FS } from '../../src/rpc/fs.js';
import { RxEndpoint } from '../../src/rx/endpoint.js';
import { FakeCell } from '../helpers/fake-fileserver.js';

const cells: FakeCell[] = [];
const clients: AfsClient[] = [];
after(async () => {
  for (const c of clients) await c.close();
  for (const c of cells) await c.close();
});

async function setup() {
  const cell = await FakeCell.start();
  cells.push(cell);
  const client = new AfsClient({ ...cell.clientOptions(), cacheSize: false });
  clients.push(client);
  return { cell, client, fs: cell.fs };
}

test('a client lists, stats, reads and removes in a fake cell; the RPC log shows each step', async () => {
  const { cell, client, fs } = await setup();
  const d = fs.mkdir(cell.root, 'dir');
  fs.writeFile(d, 'a.txt', 'hello');
  fs.symlink(cell.root, 'ln', 'dir/a.txt');
  assert.deepEqual((await client.fs.readdir(cell.path())).sort(), ['dir', 'ln']);
  assert.equal(await client.fs.readFile(cell.path('dir', 'a.txt'), 'utf8'), 'hello');
  assert.equal(await client.fs.readlink(cell.path('ln')), 'dir/a.txt');
  assert.ok((await client.fs.stat(cell.path('dir'))).isDirectory());
  await client.fs.rm(cell.path('dir'), { recursive: true });
  assert.deepEqual(fs.list(cell.root), ['ln']);
  const removes = fs.log.filter((l) => l.rpc.startsWith('FS.Remove')).map((l) => `${l.rpc} ${l.args.name}`);
  assert.deepEqual(removes, ['FS.RemoveFile a.txt', 'FS.RemoveDir dir']);
  assert.ok(cell.vlLog.some((l) => l.rpc.startsWith('VL.GetEntryByName')));
});

test('hostile names reach the client as the server wrote them (duplicates, "a/b"; ".." is dropped)', async () => {
  const { cell, client, fs } = await setup();
  const d = fs.mkdir(cell.root, 'd');
  const f = fs.writeFile(d, 'x', 'data');
  for (const name of ['../victim', 'a/b', '..', 'x']) fs.addEntry(d, name, f);
  const names = await client.fs.readdir(cell.path('d'));
  assert.deepEqual(names.slice().sort(), ['../victim', 'a/b', 'x', 'x']);
});

test('scripted: an abort, a mute server, a BUSY-forever server', async () => {
  const { cell, client, fs } = await setup();
  fs.writeFile(cell.root, 'f', 'x');
  fs.script('FS.FetchStatus', { abort: 112, times: 1 }); // VIO once
  await assert.rejects(client.fs.stat(cell.path('f')));
  assert.ok((await client.fs.stat(cell.path('f'))).isFile(), 'times: 1 lets the next call through');

  const ep = await RxEndpoint.open({ host: '127.0.0.1' });
  try {
    fs.script('FS.FetchStatus', { mute: true });
    const t0 = Date.now();
    await assert.rejects(
      callRpc(ep, fs.target, FS.FetchStatus, { fid: cell.root }, { timeouts: { idleTimeout: 500 } }),
      { afsName: 'RX_CALL_TIMEOUT' },
    );
    assert.ok(Date.now() - t0 >= 450, 'the mute server kept the call open until the idle deadline');
    await fs.busyForever();
    // BUSY keeps the peer audibly alive, but only for one dead time: then RX_CALL_DEAD.
    const t1 = Date.now();
    await assert.rejects(
      callRpc(ep, fs.target, FS.FetchStatus, { fid: cell.root }, { timeouts: { deadTime: 1_500 } }),
      { afsName: 'RX_CALL_DEAD' },
    );
    const busyMs = Date.now() - t1;
    assert.ok(busyMs >= 1_400 && busyMs < 10_000, `BUSY forever failed after ${busyMs} ms`);
    assert.ok(fs.calls.filter((c) => c === 'BUSY').length >= 2, 'BUSY was sent, again and again');
  } finally {
    await ep.close();
  }
});

test('a second volume reached through a mount point', async () => {
  const { cell, client } = await setup();
  const other = cell.addVolume('other');
  cell.fs.writeFile(other.root, 'inside', 'in other');
  cell.fs.mountPoint(cell.root, 'm', '#other');
  assert.equal(await client.fs.readFile(cell.path('m', 'inside'), 'utf8'), 'in other');
  assert.ok(cell.vlLog.some((l) => l.args.volumeName === 'other'));
});
