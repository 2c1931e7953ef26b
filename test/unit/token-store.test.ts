// The token store and the objects that hold a session key (issue 9 item 7): the file is written
// through an exclusively created, unpredictable temporary name (a planted symlink receives
// nothing); a directory others can write to, or that another user owns, is refused, as ssh
// refuses such a ~/.ssh; and inspecting a token, a security class or a client never shows the key.
import assert from 'node:assert/strict';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inspect } from 'node:util';
import { resolveIdentity } from '../../src/auth/identity.js';
import { mintLocalAuthToken } from '../../src/auth/localauth.js';
import type { RxkadToken } from '../../src/auth/token.js';
import { TokenStore } from '../../src/auth/token-store.js';
import { AfsClient } from '../../src/client.js';
import { RxkadClientClass } from '../../src/rx/security/rxkad.js';

const KEY = Buffer.from('d3adb33fc0ffee01', 'hex');
const token = (): RxkadToken => ({
  kvno: 3,
  ticket: Buffer.alloc(64, 0x5a),
  sessionKey: Buffer.from(KEY),
  start: 0,
  end: 0xffffffff,
  identity: { name: 'alice', instance: '', cell: '' },
  cell: 'example.test',
  source: 'imported',
});

/** Every way the key's bytes could show in inspect output. */
function assertNoKey(text: string, what: string, key: Uint8Array = KEY): void {
  const b = Buffer.from(key);
  for (const form of [
    b.toString('hex'),
    b.toString('base64'),
    [...b].map((x) => x.toString(16).padStart(2, '0')).join(' '), // <Buffer d3 ad ...>
    [...b].join(', '), // Uint8Array(8) [ 211, 173, ... ]
  ]) {
    assert.ok(!text.includes(form), `${what} shows the session key as ${form}:\n${text}`);
  }
}

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'tsafs-token-store-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('a symlink planted at any temporary name the store might use receives nothing', async () => {
  const dir = join(work, 'plant');
  await mkdir(dir, { mode: 0o700 });
  const victim = join(work, 'victim');
  await writeFile(victim, '');
  const path = join(dir, 'tokens.json');
  // The names an attacker can predict: pid-based, and the bare ".tmp".
  const planted = [`${path}.${process.pid}.tmp`, `${path}.tmp`, `${path}~`];
  for (const p of planted) await symlink(victim, p);
  await new TokenStore(path).put(token());
  assert.equal(await readFile(victim, 'utf8'), '', 'the victim file is untouched');
  assert.equal((await new TokenStore(path).get('example.test'))?.identity.name, 'alice');
  assert.equal((await lstat(path)).mode & 0o777, 0o600);
  // Nothing left behind but the store and the planted links.
  assert.deepEqual(
    (await readdir(dir)).sort(),
    ['tokens.json', ...planted.map((p) => p.slice(dir.length + 1))].sort(),
  );
});

test('a directory others can write to is refused, for reading and for writing', async () => {
  for (const mode of [0o777, 0o1777, 0o770]) {
    const dir = join(work, `open-${mode.toString(8)}`);
    await mkdir(dir);
    await chmod(dir, mode);
    const store = new TokenStore(join(dir, 'tokens.json'));
    await assert.rejects(store.put(token()), { code: 'ERR_TSAFS_TOKEN_STORE_UNSAFE' });
    await writeFile(join(dir, 'tokens.json'), '{}', { mode: 0o600 });
    await assert.rejects(store.get('example.test'), { code: 'ERR_TSAFS_TOKEN_STORE_UNSAFE' });
    assert.equal(await readFile(join(dir, 'tokens.json'), 'utf8'), '{}', 'nothing was written');
  }
});

test("a directory another user owns is refused; the store's own new directory is made 0700", async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to give a directory to another user');
  const dir = join(work, 'theirs');
  await mkdir(dir, { mode: 0o755 });
  await chown(dir, 65534, 65534);
  await assert.rejects(new TokenStore(join(dir, 'tokens.json')).put(token()), {
    code: 'ERR_TSAFS_TOKEN_STORE_UNSAFE',
  });
  const fresh = join(work, 'fresh', 'tsafs', 'tokens.json');
  await new TokenStore(fresh).put(token());
  assert.equal((await lstat(join(work, 'fresh', 'tsafs'))).mode & 0o777, 0o700);
});

test('inspect and console.log of a token, a security class or a client never show the session key', async () => {
  const dir = join(work, 'inspect');
  await mkdir(dir, { mode: 0o700 });
  const store = new TokenStore(join(dir, 'tokens.json'));
  await store.put(token());
  const stored = (await store.get('example.test'))!;
  const deep = { depth: Number.POSITIVE_INFINITY, showHidden: true };
  assertNoKey(inspect(stored, deep), 'a stored token');
  assert.match(inspect(stored), /alice/, 'what is not secret is still shown');
  const minted = mintLocalAuthToken([{ type: 0, kvno: 7, subType: 0, key: Buffer.alloc(8, 0x31) }], {
    cell: 'example.test',
  });
  assertNoKey(inspect(minted, deep), 'a localauth token', minted.sessionKey);
  const cls = new RxkadClientClass(token(), 2);
  assertNoKey(inspect(cls, deep), 'an rxkad security class');
  const id = await resolveIdentity({ token: token() }, 'example.test');
  assertNoKey(inspect(id, deep), 'an identity');
  const client = new AfsClient({ cellServDB: false, thisCell: false, auth: { token: stored } });
  try {
    assertNoKey(inspect(client, deep), 'a client');
  } finally {
    await client.close();
  }
  // JSON (the store's own format) is unaffected: the key is there, base64.
  assert.equal(
    JSON.parse(await readFile(join(dir, 'tokens.json'), 'utf8'))['example.test'].sessionKey,
    KEY.toString('base64'),
  );
});
