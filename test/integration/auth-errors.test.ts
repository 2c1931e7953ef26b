// Failed authentication against the real file server is a typed error, fast, and never an rxnull
// retry: wrong key version, corrupted ticket, expired ticket each give their RXKAD code, the relay
// in front of the file server sees no securityIndex-0 call from us afterwards. A token that expires
// on a live connection becomes TokenExpiredError naming `tsafs login`, and is not used again.
// localauth as admin reads the private volume; anonymous does not.
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';
import { CacheManagerService } from '../../src/afs/cmservice.js';
import { loadServerKeys, type ServerKey } from '../../src/auth/keyfile.js';
import { mintLocalAuthToken } from '../../src/auth/localauth.js';
import type { RxkadToken } from '../../src/auth/token.js';
import { GuardedIdentity, isTokenDead } from '../../src/auth/token-dead.js';
import type { AfsClient } from '../../src/client.js';
import { callRpc } from '../../src/rpc/client.js';
import { AfsError } from '../../src/rpc/errors.js';
import { FS } from '../../src/rpc/fs.js';
import type { AFSFid } from '../../src/rpc/types.js';
import { RxEndpoint } from '../../src/rx/endpoint.js';
import { RxkadClientClass, type RxkadCredentials } from '../../src/rx/security/rxkad.js';
import { RXKADBADTICKET, RXKADEXPIRED, RXKADUNKNOWNKEY } from '../../src/rx/security/rxkad-errors.js';
import { cellClient, localAuthClient } from './helpers/auth.js';
import { type CellEnv, cellEnv } from './helpers/cell.js';
import { RX_PACKET_DATA, rxSecurityIndex, rxType, WireTap } from './helpers/wire-tap.js';

const FS_SERVICE_ID = 1;
/** Each refusal must arrive well inside this (one CHALLENGE/RESPONSE round trip on loopback). */
const DEADLINE_MS = 5000;

let env: CellEnv;
let keys: ServerKey[];
let token: RxkadToken;
let admin: AfsClient;
let scratch: string;
let fid: AFSFid;
let ep: RxEndpoint;

before(async () => {
  env = await cellEnv();
  keys = await loadServerKeys(dirname(env.keyFile));
  token = mintLocalAuthToken(keys, { cell: env.cell });
  admin = localAuthClient(env);
  scratch = `${env.rwDir}/auth-errors-${process.pid}-${Date.now().toString(36)}`;
  await admin.fs.mkdir(scratch);
  await admin.fs.writeFile(`${scratch}/f.txt`, 'target');
  fid = (await admin.fs.stat(`${scratch}/f.txt`)).fid;
  ep = await RxEndpoint.open({ host: '127.0.0.1' });
  new CacheManagerService(ep); // the file server probes a new client's callback service
});

after(async () => {
  await ep?.close();
  await admin?.fs.rm(scratch, { recursive: true, force: true }).catch(() => {});
  await admin?.close();
});

const now = () => Math.floor(Date.now() / 1000);

const BAD: { name: string; code: number; creds: () => RxkadCredentials }[] = [
  {
    name: 'a key version the server lacks',
    code: RXKADUNKNOWNKEY,
    creds: () => ({ ...token, kvno: token.kvno + 50 }),
  },
  {
    name: 'a corrupted ticket',
    code: RXKADBADTICKET,
    creds: () => {
      const t = Buffer.from(token.ticket);
      t[3] = (t[3] ?? 0) ^ 0x40;
      return { ...token, ticket: t };
    },
  },
  {
    // The client is not told the end time, so only the server can refuse it.
    name: 'an expired ticket',
    code: RXKADEXPIRED,
    creds: () => {
      const { end: _end, ...blind } = mintLocalAuthToken(keys, {
        cell: env.cell,
        start: now() - 2 * 86400,
        end: now() - 86400,
      });
      return blind;
    },
  },
];

for (const bad of BAD) {
  for (const level of [0, 1, 2] as const) {
    test(`${bad.name} at rxkad level ${level}: code ${bad.code} within ${DEADLINE_MS} ms, no rxnull retry`, async () => {
      const tap = await WireTap.start({ host: env.addr, port: 7000 });
      try {
        const target = {
          ...tap.address,
          serviceId: FS_SERVICE_ID,
          security: new RxkadClientClass(bad.creds(), level),
        };
        const t0 = Date.now();
        await assert.rejects(
          callRpc(ep, target, FS.FetchStatus, { fid }, { timeouts: { hardDeadline: 15_000 } }),
          (e: unknown) => e instanceof AfsError && e.afsCode === bad.code,
        );
        const ms = Date.now() - t0;
        assert.ok(ms < DEADLINE_MS, `refused after ${ms} ms`);
        // Leave time for any retry to show up, then look at every packet we sent.
        await new Promise((r) => setTimeout(r, 1500));
        const sent = tap.packets.filter((p) => p.dir === 'toServer' && ((p.bytes[21] ?? 0) & 1) === 1);
        assert.ok(
          sent.some((p) => rxType(p.bytes) === RX_PACKET_DATA && rxSecurityIndex(p.bytes) === 2),
          'the rxkad attempt crossed the relay',
        );
        assert.deepEqual(
          sent.filter((p) => rxSecurityIndex(p.bytes) !== 2).map((p) => rxType(p.bytes)),
          [],
          'a packet of ours with another security index',
        );
      } finally {
        await tap.close();
      }
    });
  }

  test(`${bad.name} through AfsClient: the same typed error, not an anonymous answer`, async () => {
    const c = cellClient(env, {
      token: { ...token, ...bad.creds(), end: 0xffffffff } as RxkadToken,
      level: 'crypt',
    });
    try {
      await assert.rejects(
        c.fs.stat(`${scratch}/f.txt`),
        (e: unknown) =>
          (e instanceof AfsError && e.afsCode === bad.code) ||
          // An expired ticket marks the token dead: the client says "run tsafs login" instead.
          (bad.code === 19270409 && (e as { code?: string }).code === 'ERR_TSAFS_TOKEN_EXPIRED'),
      );
    } finally {
      await c.close();
    }
  });
}

test('an expired token is refused by tsafs before any packet: TokenExpiredError names tsafs login', async () => {
  const old = mintLocalAuthToken(keys, { cell: env.cell, start: now() - 7200, end: now() - 3600 });
  const c = cellClient(env, { token: old, level: 'crypt' });
  try {
    await assert.rejects(c.fs.stat(scratch), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'ERR_TSAFS_TOKEN_EXPIRED');
      assert.match((e as Error).message, /tsafs login/);
      return true;
    });
  } finally {
    await c.close();
  }
});

test('a token that expires on a live connection: the server refuses it, the guard names tsafs login and stops using it', async (t) => {
  const lifetime = 4;
  // rxkad (Kerberos 4) tickets count lifetimes in 5-minute units: start 5 minutes before the end.
  const end = now() + lifetime;
  const short = mintLocalAuthToken(keys, { cell: env.cell, start: end - 300, end });
  const security = new RxkadClientClass(short, 2);
  const guard = new GuardedIdentity({ security, description: 'short-lived', token: short }, env.cell);
  const target = { host: env.addr, port: 7000, serviceId: FS_SERVICE_ID, security: guard.security() };
  const r = await callRpc(ep, target, FS.FetchStatus, { fid }, { timeouts: { hardDeadline: 10_000 } });
  assert.equal(r.status.length, 'target'.length);
  await new Promise((res) => setTimeout(res, (lifetime + 2) * 1000));
  // Same connection, now past the ticket's end: the server's rxkad or the file server says so.
  const t0 = Date.now();
  const failure = await callRpc(
    ep,
    target,
    FS.FetchStatus,
    { fid },
    { timeouts: { hardDeadline: 10_000 } },
  ).then(
    () => assert.fail('the server accepted an expired ticket'),
    (e: unknown) => e,
  );
  assert.ok(Date.now() - t0 < DEADLINE_MS);
  assert.ok(isTokenDead(failure), `not a dead-token failure: ${String(failure)}`);
  assert.ok(
    failure instanceof AfsError && (failure.afsCode === RXKADEXPIRED || failure.afsCode === 1235),
    String(failure),
  );
  t.diagnostic(`server code ${(failure as AfsError).afsName} ${(failure as AfsError).afsCode}`);
  const mapped = guard.check(failure) as Error & { code?: string };
  assert.equal(mapped.code, 'ERR_TSAFS_TOKEN_EXPIRED');
  assert.match(mapped.message, /tsafs login/);
  assert.ok(guard.isDead);
  assert.throws(() => guard.security(), { code: 'ERR_TSAFS_TOKEN_EXPIRED' });
});

test('localauth as admin reads the private volume; anonymous gets EACCES', async () => {
  const names = await admin.fs.readdir(env.privateDir);
  assert.ok(Array.isArray(names));
  const anon = cellClient(env, 'anonymous');
  try {
    await assert.rejects(
      anon.fs.readdir(env.privateDir),
      (e: unknown) => e instanceof AfsError && e.code === 'EACCES',
    );
  } finally {
    await anon.close();
  }
});
