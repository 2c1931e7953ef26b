// A -localauth token minted by tsafs from the cell's KeyFile, used for rxkad calls to the real
// vlserver at each level; the server's own rxkad code must accept our RESPONSE, our ticket and
// our sealed packets, and refuse bad ones with the exact RXK codes.
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';
import { loadServerKeys, type ServerKey } from '../../src/auth/keyfile.js';
import { mintLocalAuthToken } from '../../src/auth/localauth.js';
import type { RxkadToken } from '../../src/auth/token.js';
import { callRpc } from '../../src/rpc/client.js';
import { AfsError } from '../../src/rpc/errors.js';
import { VL, VL_PORT, VL_SERVICE_ID } from '../../src/rpc/vl.js';
import { RxEndpoint } from '../../src/rx/endpoint.js';
import { RxkadClientClass, type RxkadCredentials } from '../../src/rx/security/rxkad.js';
import {
  RXKADBADTICKET,
  RXKADEXPIRED,
  RXKADUNKNOWNKEY,
  RxkadError,
} from '../../src/rx/security/rxkad-errors.js';

function env(name: string): string {
  const v = process.env[name];
  assert.ok(v, `${name} is not set: run under scripts/test (eval "$(bash scripts/cell env)")`);
  return v;
}

let ep: RxEndpoint;
let keys: ServerKey[];
let token: RxkadToken;

const probe = (creds: RxkadCredentials, level: 0 | 1 | 2) =>
  callRpc(
    ep,
    {
      host: env('AFS_ADDR'),
      port: VL_PORT,
      serviceId: VL_SERVICE_ID,
      security: new RxkadClientClass(creds, level),
    },
    VL.Probe,
    {},
    { timeouts: { hardDeadline: 5000 } },
  );

const serverCode = (code: number) => (e: unknown) => e instanceof AfsError && e.afsCode === code;

before(async () => {
  keys = await loadServerKeys(dirname(env('AFS_KEYFILE')));
  token = mintLocalAuthToken(keys, { cell: env('AFS_CELL') });
  ep = await RxEndpoint.open({ host: '127.0.0.1' });
});

after(async () => {
  await ep?.close();
});

for (const level of [0, 1, 2] as const) {
  test(`the vlserver accepts a localauth admin token at rxkad level ${level}`, async () => {
    await probe(token, level);
    await probe(token, level); // a second call on the same authenticated connection
  });
}

test('a ticket sealed with a key version the server lacks is RXKADUNKNOWNKEY', async () => {
  await assert.rejects(probe({ ...token, kvno: token.kvno + 50 }, 2), serverCode(RXKADUNKNOWNKEY));
});

test('a corrupted ticket is RXKADBADTICKET', async () => {
  const bad = Buffer.from(token.ticket);
  bad[3] ^= 0x40;
  await assert.rejects(probe({ ...token, ticket: bad }, 1), serverCode(RXKADBADTICKET));
});

test('an expired ticket: tsafs refuses locally, and the server says RXKADEXPIRED', async () => {
  const now = Math.floor(Date.now() / 1000);
  const old = mintLocalAuthToken(keys, { cell: env('AFS_CELL'), start: now - 2 * 86400, end: now - 86400 });
  await assert.rejects(probe(old, 1), (e: unknown) => {
    // Either surfaced as the RxkadError itself or wrapped by the RPC layer, but always EXPIRED.
    const code = e instanceof RxkadError ? e.code : e instanceof AfsError ? e.afsCode : undefined;
    return code === RXKADEXPIRED;
  });
  const { end: _end, ...blind } = old; // a client that does not know the end time sends it anyway
  await assert.rejects(probe(blind, 1), serverCode(RXKADEXPIRED));
});
