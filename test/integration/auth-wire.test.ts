// rxkad on the wire against the real file server. Each level moves a multi-megabyte file
// bit-exact; through a relay (helpers/wire-tap.ts) a marker in the file is visible at clear and
// auth and absent at crypt; a flipped byte in an auth or crypt packet is refused by the server
// (a request) and by tsafs (a reply). rxkad seals only the first 8 payload bytes (and the header
// checksum) at auth; at crypt PCBC corruption only reaches the check when it starts in the first
// block: the flips are made there, on purpose.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';
import { CacheManagerService } from '../../src/afs/cmservice.js';
import { fetchRange, storeData } from '../../src/afs/fsclient.js';
import type { LevelName } from '../../src/auth/identity.js';
import { levelOf } from '../../src/auth/identity.js';
import { localAuthToken } from '../../src/auth/localauth.js';
import type { RxkadToken } from '../../src/auth/token.js';
import type { AfsClient } from '../../src/client.js';
import { callRpc } from '../../src/rpc/client.js';
import { AfsError } from '../../src/rpc/errors.js';
import { FS } from '../../src/rpc/fs.js';
import type { AFSFid } from '../../src/rpc/types.js';
import { RxEndpoint } from '../../src/rx/endpoint.js';
import { RxkadClientClass } from '../../src/rx/security/rxkad.js';
import { RXKADSEALEDINCON } from '../../src/rx/security/rxkad-errors.js';
import { localAuthClient } from './helpers/auth.js';
import { type CellEnv, cellEnv } from './helpers/cell.js';
import {
  RX_HEADER_SIZE,
  RX_PACKET_ABORT,
  RX_PACKET_DATA,
  rxSecurityIndex,
  rxType,
  type TappedPacket,
  WireTap,
} from './helpers/wire-tap.js';

const LEVELS: LevelName[] = ['clear', 'auth', 'crypt'];
const BIG = 3 * 1024 * 1024 + 12345;
const FS_SERVICE_ID = 1;
const NO_STATUS_CHANGE = { mask: 0, clientModTime: 0, owner: 0, group: 0, mode: 0, segSize: 0 };

let env: CellEnv;
let admin: AfsClient;
let token: RxkadToken;
let scratch: string;
let ep: RxEndpoint;
const marker = Buffer.from(`TSAFS-WIRE-MARKER-${process.pid}-${Date.now().toString(36)}`);

/** Deterministic bytes (a cheap LCG) with the marker every 32 KiB, so every reply packet run has it. */
function content(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    if (i + 4 <= size) b.writeUInt32LE(x, i);
  }
  for (let i = 0; i + marker.length <= size; i += 32 * 1024) marker.copy(b, i);
  return b;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

before(async () => {
  env = await cellEnv();
  admin = localAuthClient(env);
  token = await localAuthToken({ cell: env.cell, confDir: dirname(env.keyFile) });
  scratch = `${env.rwDir}/auth-wire-${process.pid}-${Date.now().toString(36)}`;
  await admin.fs.mkdir(scratch);
  ep = await RxEndpoint.open({ host: '127.0.0.1' });
  // The file server probes a new client's callback service before serving it: answer it.
  new CacheManagerService(ep);
});

after(async () => {
  await ep?.close();
  await admin?.fs.rm(scratch, { recursive: true, force: true }).catch(() => {});
  await admin?.close();
});

for (const level of LEVELS) {
  test(`rxkad ${level}: a ${BIG}-byte file goes out and comes back bit-exact through AfsClient`, async () => {
    const c = localAuthClient(env, level);
    try {
      const data = content(BIG, LEVELS.indexOf(level) + 7);
      const path = `${scratch}/big-${level}.bin`;
      await c.fs.writeFile(path, data);
      assert.equal((await c.fs.stat(path)).size, BIG);
      const back = (await c.fs.readFile(path)) as Buffer;
      assert.equal(sha(back), sha(data));
      // And a different identity (admin over crypt) reads the same bytes the server stored.
      assert.equal(sha((await admin.fs.readFile(path)) as Buffer), sha(data));
    } finally {
      await c.close();
    }
  });
}

async function fidOf(path: string): Promise<AFSFid> {
  return (await admin.fs.stat(path)).fid;
}

test('on the wire: the marker is visible at clear and auth, absent at crypt (both directions)', async () => {
  const size = 256 * 1024;
  const data = content(size, 99);
  const tap = await WireTap.start({ host: env.addr, port: 7000 });
  try {
    const seen: Record<string, { down: boolean; up: boolean; sealed: boolean }> = {};
    for (const level of LEVELS) {
      const path = `${scratch}/wire-${level}.bin`;
      await admin.fs.writeFile(path, Buffer.alloc(0));
      const fid = await fidOf(path);
      const target = {
        ...tap.address,
        serviceId: FS_SERVICE_ID,
        security: new RxkadClientClass(token, levelOf(level)),
      };
      const from = tap.packets.length;
      await storeData(ep, target, fid, NO_STATUS_CHANGE, 0, data, size, size, {
        timeouts: { hardDeadline: 30_000 },
      });
      const parts: Buffer[] = [];
      await fetchRange(ep, target, fid, 0, size, (b) => void parts.push(Buffer.from(b)), { parallel: 1 });
      // Positive control for every level: the bytes did cross the relay and arrive intact.
      assert.equal(sha(Buffer.concat(parts)), sha(data), `${level}: data through the relay`);
      const mine = tap.since(from).filter(ours);
      assert.ok(mine.length > 10, `${level}: packets of our calls seen`);
      assert.ok(
        mine.every((p) => rxSecurityIndex(p.bytes) === 2),
        `${level}: every packet carries security index 2`,
      );
      seen[level] = {
        up: tap.payloadContains(marker, 'toServer', from),
        down: tap.payloadContains(marker, 'toClient', from),
        sealed: mine.some((p) => rxType(p.bytes) === RX_PACKET_DATA && p.bytes.readUInt16BE(24) !== 0),
      };
    }
    assert.deepEqual(seen, {
      clear: { up: true, down: true, sealed: true },
      auth: { up: true, down: true, sealed: true },
      crypt: { up: false, down: false, sealed: true },
    });
  } finally {
    await tap.close();
  }
});

/** Polls `cond` for up to `ms` (packets cross the relay asynchronously). */
async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Our calls only: requests we start carry CLIENT_INITIATED, the server's replies to them do not. */
const ours = (p: TappedPacket) => ((p.bytes[21] ?? 0) & 1) === (p.dir === 'toServer' ? 1 : 0);

/** Flip one bit in the first 8 payload bytes of the first DATA packet going `dir`. */
function flipFirstData(tap: WireTap, dir: 'toServer' | 'toClient'): () => boolean {
  let done = false;
  tap.editor = (p, d) => {
    if (done || d !== dir || rxType(p) !== RX_PACKET_DATA || p.length < RX_HEADER_SIZE + 8) return false;
    p[RX_HEADER_SIZE + 3] = (p[RX_HEADER_SIZE + 3] ?? 0) ^ 0x01;
    done = true;
    return true;
  };
  return () => done;
}

for (const level of ['auth', 'crypt'] as LevelName[]) {
  for (const dir of ['toServer', 'toClient'] as const) {
    const who = dir === 'toServer' ? 'the file server' : 'tsafs';
    test(`rxkad ${level}: a byte flipped in a ${dir === 'toServer' ? 'request' : 'reply'} is refused by ${who} (RXKADSEALEDINCON)`, async () => {
      const path = `${scratch}/flip-${level}-${dir}.txt`;
      await admin.fs.writeFile(path, 'flip target');
      const fid = await fidOf(path);
      const tap = await WireTap.start({ host: env.addr, port: 7000 });
      try {
        const target = {
          ...tap.address,
          serviceId: FS_SERVICE_ID,
          security: new RxkadClientClass(token, levelOf(level)),
        };
        // A clean call first: the connection is authenticated, so the flip hits a sealed packet.
        await callRpc(ep, target, FS.FetchStatus, { fid }, { timeouts: { hardDeadline: 10_000 } });
        const flipped = flipFirstData(tap, dir);
        const t0 = Date.now();
        await assert.rejects(
          callRpc(ep, target, FS.FetchStatus, { fid }, { timeouts: { hardDeadline: 10_000 } }),
          (e: unknown) => e instanceof AfsError && e.afsCode === RXKADSEALEDINCON,
        );
        assert.ok(flipped(), 'the relay flipped a byte');
        assert.ok(Date.now() - t0 < 5000, `refused after ${Date.now() - t0} ms`);
        // The refusal travels as an ABORT with the rxkad code: from the server when it refused
        // the request, from tsafs when it refused the reply (sent just before the call failed).
        const from = dir === 'toServer' ? 'toClient' : 'toServer';
        await waitFor(() =>
          tap.packets.some(
            (p) =>
              p.dir === from &&
              rxType(p.bytes) === RX_PACKET_ABORT &&
              p.bytes.readInt32BE(RX_HEADER_SIZE) === RXKADSEALEDINCON,
          ),
        );
        // The connection is still good for the next call (nothing was accepted in between).
        tap.editor = undefined;
        const ok = await callRpc(ep, target, FS.FetchStatus, { fid }, { timeouts: { hardDeadline: 10_000 } });
        assert.equal(ok.status.length, 'flip target'.length);
      } finally {
        await tap.close();
      }
    });
  }
}
