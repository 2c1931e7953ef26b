// AfsClient.login: a service logs in with a keytab (or password) without the CLI; the token goes
// to the client's token store (a file: any later client, in any process, reuses it) and is used at once.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AfsClient } from '../../src/client.js';
import { type CellEnv, cellEnv } from './helpers/cell.js';

let env: CellEnv;
let dir: string;

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (eval "$(scripts/cell env)")`);
  return v;
}

before(async () => {
  env = await cellEnv();
  dir = await mkdtemp(join(tmpdir(), 'tsafs-clogin-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('login with a keytab: the token is stored (0600) and used by this client and by a later one', async () => {
  const store = join(dir, 'tokens.json');
  const principal = need('AFS_TEST_PRINCIPAL');
  const c = new AfsClient({ cellServDB: env.cellServDb, cell: env.cell, auth: { store }, dns: false });
  try {
    const token = await c.login({ principal, keytab: need('AFS_TEST_KEYTAB') });
    assert.equal(token.cell, env.cell);
    assert.equal((await stat(store)).mode & 0o777, 0o600);
    assert.match(await c.whoami(), new RegExp(principal.split('@')[0]!));
    await c.fs.readdir(`/afs/${env.cell}/rw`);
  } finally {
    await c.close();
  }
  const later = new AfsClient({ cellServDB: env.cellServDb, cell: env.cell, auth: { store }, dns: false });
  try {
    assert.match(await later.whoami(), new RegExp(principal.split('@')[0]!));
  } finally {
    await later.close();
  }
});

test('login with a password', async () => {
  const store = join(dir, 'pw.json');
  const c = new AfsClient({ cellServDB: env.cellServDb, cell: env.cell, auth: { store }, dns: false });
  try {
    await c.login({
      principal: need('AFS_TEST_PRINCIPAL'),
      password: need('AFS_TEST_PASSWORD'),
      ccache: null,
    });
    assert.notEqual(await c.whoami(), 'anonymous');
    await assert.rejects(
      c.login({ principal: need('AFS_TEST_PRINCIPAL'), password: 'wrong-password', ccache: null }),
      (e: { code?: string }) => typeof e.code === 'string',
    );
  } finally {
    await c.close();
  }
});
