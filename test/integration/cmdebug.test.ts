// OpenAFS's cmdebug inspects a running tsafs as it does an OpenAFS cache manager; what it lists
// matches client.inspect() field by field.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { AfsClient } from '../../src/client.js';
import { testClient } from './helpers/afs-client.js';
import { type CellEnv, cellEnv } from './helpers/cell.js';

const run = promisify(execFile);
let env: CellEnv;
let c: AfsClient;
let dir: string;

before(async () => {
  env = await cellEnv();
  c = await testClient({ bind: { host: '127.0.0.1' } });
  dir = `${env.rwDir}/cmdebug-${process.pid}-${Date.now().toString(36)}`;
  await c.fs.mkdir(dir);
  await c.fs.writeFile(`${dir}/f`, 'cmdebug\n');
  await c.fs.readFile(`${dir}/f`);
  await c.fs.readdir(dir, { withFileTypes: true });
});
after(async () => {
  await c.fs.rm(dir, { recursive: true, force: true }).catch(() => {});
  await c.close();
});

const cmdebug = async (...args: string[]) =>
  (
    await run('cmdebug', ['127.0.0.1', '-port', String(c.endpoint.address.port), ...args], {
      timeout: 30_000,
    })
  ).stdout;

test('cmdebug -long lists our cache entries exactly as inspect() reports them', async () => {
  const text = await cmdebug('-long');
  const seen = [
    ...text.matchAll(
      /\*\* Cache entry @ 0x([0-9a-f]+) for (\d+)\.(\d+)\.(\d+)\.(\d+) \[([^\]]+)\]\n\s+(\d+) bytes\s+DV\s+(-?\d+)\s+refcnt\s+(\d+)\n\s+callback ([0-9a-f]+)\s+expires (\d+)/g,
    ),
  ].map((m) => ({
    addr: Number.parseInt(m[1]!, 16),
    cell: Number(m[2]),
    fid: `${m[3]}.${m[4]}.${m[5]}`,
    cellName: m[6],
    length: Number(m[7]),
    dataVersion: Number(m[8]),
    refCount: Number(m[9]),
    callback: Number.parseInt(m[10]!, 16) | 0,
    cbExpires: Number(m[11]),
  }));
  const ours = c.inspect().cache.map((e) => ({
    addr: e.addr,
    cell: e.cell,
    fid: `${e.netFid.volume}.${e.netFid.vnode}.${e.netFid.unique}`,
    cellName: e.cellName,
    length: e.length,
    dataVersion: e.dataVersion,
    refCount: e.refCount,
    callback: e.callback,
    cbExpires: e.cbExpires,
  }));
  assert.ok(ours.length >= 3, `we cache something: ${ours.length}`);
  assert.deepEqual(seen, ours);
  assert.ok(
    seen.some((e) => e.callback === (0x7f010001 | 0)),
    'promises from 127.1.0.1',
  );
});

test('cmdebug -addrs shows our UUID and error translation; -cache our configuration; -cellservdb our cells', async () => {
  const addrs = await cmdebug('-addrs');
  assert.match(addrs, new RegExp(`UUID: ${c.cm.uuidString}`));
  assert.match(addrs, /Error Translation/);
  const cache = await cmdebug('-cache');
  assert.match(cache, /Cache type:\s+memory/);
  assert.match(cache, /Stat caches:\s+\d+/);
  const cells = await cmdebug('-cellservdb');
  assert.match(cells, new RegExp(`>${env.cell}`));
  assert.match(cells, new RegExp(env.addr.replace(/\./g, '\\.')));
});

test('cmdebug -cellservdb lists a cell configured as host:port (its address, without the port)', async () => {
  const ported = await testClient({
    bind: { host: '127.0.0.1' },
    cells: { 'ported.test': [`${env.addr}:7003`, '127.1.0.9:17003'], 'named.test': ['vl.named.test:7003'] },
  });
  try {
    const { stdout } = await run(
      'cmdebug',
      ['127.0.0.1', '-port', String(ported.endpoint.address.port), '-cellservdb'],
      {
        timeout: 30_000,
      },
    );
    // ">cell #cell" then one "address #name" line per server.
    const blocks = new Map(
      stdout
        .split('>')
        .slice(1)
        .map((b) => {
          const [head, ...hosts] = b.trim().split('\n');
          return [head!.split(/\s+/)[0], hosts.map((l) => l.trim().split(/\s+/)[0])] as const;
        }),
    );
    assert.deepEqual(blocks.get('ported.test'), [env.addr, '127.1.0.9'], stdout);
    assert.deepEqual(blocks.get('named.test'), [], 'a cell whose VL server is a host name is listed');
    assert.deepEqual(blocks.get(env.cell), [env.addr], 'the other cells are listed too');
  } finally {
    await ported.close();
  }
});
