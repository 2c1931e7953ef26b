// Reading files by FID from the real file server: bytes written by OpenAFS's libafscp (the afsfix
// fixture), read back bit-exact across packet, window and call boundaries, up to 256 MiB.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { AfsClient } from '../../src/client.js';
import { type CellEnv, cellEnv, type FixtureFile, fixture, fixtureWrite } from './helpers/cell.js';

let env: CellEnv;
let client: AfsClient;
const dir = `fidtest-${process.pid}-${Date.now().toString(36)}`;

before(async () => {
  env = await cellEnv();
  client = new AfsClient({ cellServDB: env.cellServDb, cell: env.cell });
  await client.start();
  await fixture(['mkdir', `${env.rwVolume}:/${dir}`]);
});
after(async () => {
  await fixture(['rm', `${env.rwVolume}:/${dir}`]).catch(() => {});
  await client.close();
});

async function readSha(f: FixtureFile, opts: { chunkSize?: number; parallel?: number } = {}) {
  const h = createHash('sha256');
  let n = 0;
  const r = await client.fetchByFid(
    { volume: f.volume, vnode: f.vnode, unique: f.unique },
    (c) => {
      n += c.length;
      h.update(c);
    },
    opts,
  );
  return { sha256: h.digest('hex'), bytes: n, total: r.total };
}

const sizes = [0, 1, 1411, 1412, 1413, 1412 * 32 - 1, 1412 * 32, 1412 * 32 + 1, 3 * 1024 * 1024 + 5];
test('files at packet and window boundaries read bit-exact by FID', async () => {
  for (const size of sizes) {
    const f = await fixtureWrite(`${env.rwVolume}:/${dir}/f${size}`, size, size + 3);
    const r = await readSha(f, { chunkSize: 1 << 20 });
    assert.equal(r.bytes, size, `size ${size}`);
    assert.equal(r.sha256, f.sha256, `sha256 of ${size}`);
  }
});

test('a 256 MiB file written by libafscp reads with the same sha256 (parallel FetchData64)', {
  timeout: 600_000,
}, async () => {
  const size = 256 * 1024 * 1024;
  const f = await fixtureWrite(`${env.rwVolume}:/${dir}/big`, size, 42);
  const r = await readSha(f, { parallel: 4 });
  assert.equal(r.bytes, size);
  assert.equal(r.sha256, f.sha256);
});

test('a FID that does not exist is a typed error, not a hang', async () => {
  const e = await client.vldbEntry(env.rwVolume);
  await assert.rejects(
    client.fetchByFid({ volume: e.volumeIds.rw, vnode: 999_999, unique: 1 }, () => {}),
    (err: unknown) => {
      const x = err as { code?: string; afsName?: string };
      return typeof x.code === 'string' && typeof x.afsName === 'string';
    },
  );
});
