// `tsafs login / tokens / unlog` against the loopback MIT KDC, and the identity proven on the
// server side: the file server records the user's PTS id as owner, grants what the ACL gives
// system:authuser and refuses it to anonymous, and rxdebug shows our connection at rxkad's level.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { parseRights } from '../../src/afs/acl.js';
import type { LevelName } from '../../src/auth/identity.js';
import { TokenStore } from '../../src/auth/token-store.js';
import type { AfsClient } from '../../src/client.js';
import { AfsError } from '../../src/rpc/errors.js';
import {
  type AuthSandbox,
  authSandbox,
  cellClient,
  localAuthClient,
  ptsId,
  runTsafs,
  rxdebugConnections,
} from './helpers/auth.js';
import { type CellEnv, cellEnv } from './helpers/cell.js';

const run = promisify(execFile);
const ANONYMOUS_ID = 32766;

function need(name: string): string {
  const v = process.env[name];
  assert.ok(v, `${name} is not set: run under scripts/test (eval "$(bash scripts/cell env)")`);
  return v;
}

let env: CellEnv;
let box: AuthSandbox;
let admin: AfsClient;
let scratch: string;
const opened: AfsClient[] = [];
const open = (c: AfsClient) => {
  opened.push(c);
  return c;
};

before(async () => {
  env = await cellEnv();
  box = await authSandbox();
  admin = localAuthClient(env);
  scratch = `${env.rwDir}/auth-login-${process.pid}-${Date.now().toString(36)}`;
  await admin.fs.mkdir(scratch);
  await admin.fs.setAcl(scratch, {
    positive: [
      { name: 'system:administrators', rights: parseRights('all') },
      { name: 'system:anyuser', rights: parseRights('rl') },
      { name: 'system:authuser', rights: parseRights('rlidwk') },
    ],
    negative: [],
  });
});

after(async () => {
  for (const c of opened) await c.close().catch(() => {});
  await admin?.fs.rm(scratch, { recursive: true, force: true }).catch(() => {});
  await admin?.close();
  await box?.remove();
});

const login = (args: string[], input = '') =>
  runTsafs(['login', ...args, '--cell', env.cell], { env: box.env, input });

test('tsafs login reads the password from stdin, stores a 0600 token, prints no secret', async () => {
  const password = need('AFS_TEST_PASSWORD');
  const r = await login([need('AFS_TEST_PRINCIPAL')], `${password}\n`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /rxkad token for tsafsuser in cell tsafs\.test \(kvno 256, krb5\), expires /);
  const st = await stat(box.tokens);
  assert.equal(st.mode & 0o777, 0o600);
  const token = await new TokenStore(box.tokens).get(env.cell);
  assert.ok(token);
  const everything = r.stdout + r.stderr;
  for (const secret of [
    password,
    token.sessionKey.toString('base64'),
    token.sessionKey.toString('hex'),
    token.ticket.toString('base64').slice(0, 24),
  ])
    assert.ok(!everything.includes(secret), 'a secret reached the terminal');

  const t = await runTsafs(['tokens', '--json'], { env: box.env });
  assert.equal(t.code, 0, t.stderr);
  const views = JSON.parse(t.stdout) as {
    identity: string;
    cell: string;
    expires: string;
    expired: boolean;
  }[];
  assert.equal(views.length, 1);
  assert.equal(views[0]?.identity, 'tsafsuser');
  assert.equal(views[0]?.cell, env.cell);
  assert.equal(views[0]?.expired, false);
  // The KDC grants hours, not seconds or forever.
  const left = Date.parse(views[0]?.expires ?? '') - Date.now();
  assert.ok(left > 3600_000 && left < 8 * 86400_000, `token lifetime ${left} ms`);
  assert.ok(!t.stdout.includes(token.sessionKey.toString('hex')));
});

test('a wrong password is the KDC refusing pre-authentication, and nothing is stored', async () => {
  const other = await authSandbox();
  try {
    const r = await runTsafs(['login', need('AFS_TEST_PRINCIPAL'), '--cell', env.cell], {
      env: other.env,
      input: 'not-the-password\n',
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /KDC_ERR_PREAUTH_FAILED/);
    assert.ok(!r.stderr.includes('not-the-password'));
    assert.equal((await new TokenStore(other.tokens).list()).length, 0);
  } finally {
    await other.remove();
  }
});

test('tsafs login uses a TGT in the ccache (kinit) without asking for a password; --keytab without one', async () => {
  const other = await authSandbox();
  try {
    await run('kinit', ['-k', '-t', need('AFS_TEST_KEYTAB'), need('AFS_TEST_PRINCIPAL')], {
      env: { ...process.env, ...other.env },
      timeout: 30_000,
    });
    // Empty stdin: a password prompt would fail with "no password given".
    const r = await runTsafs(['login', '--cell', env.cell], { env: other.env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /tsafsuser/);

    const empty = await authSandbox();
    try {
      const k = await runTsafs(
        ['login', need('AFS_TEST_PRINCIPAL'), '--keytab', need('AFS_TEST_KEYTAB'), '--cell', env.cell],
        { env: empty.env },
      );
      assert.equal(k.code, 0, k.stderr);
      assert.equal((await new TokenStore(empty.tokens).get(env.cell))?.identity.name, 'tsafsuser');
      // No TGT, no keytab, nothing on stdin: a typed refusal, not a hang.
      const none = await runTsafs(['login', need('AFS_TEST_PRINCIPAL'), '--cell', env.cell], {
        env: { ...empty.env, TSAFS_TOKENS: `${empty.dir}/none.json` },
      });
      assert.equal(none.code, 1);
      assert.match(none.stderr, /no password given/);
    } finally {
      await empty.remove();
    }
  } finally {
    await other.remove();
  }
});

test('the file server records the logged-in user as owner; anonymous may not write; FUSE sees the file', async () => {
  const user = await ptsId('tsafsuser');
  assert.notEqual(user, ANONYMOUS_ID);
  const authed = open(cellClient(env, { store: box.tokens, level: 'crypt' }));
  assert.match(await authed.whoami(), /tsafsuser/);
  const path = `${scratch}/by-login.txt`;
  const body = Buffer.from(`written by tsafs login token ${Date.now()}\n`);
  await authed.fs.writeFile(path, body);
  const st = await authed.fs.stat(path);
  assert.equal(st.owner, user, `owner ${st.owner}, PTS id of tsafsuser ${user}`);

  const anon = open(cellClient(env, 'anonymous'));
  await assert.rejects(
    anon.fs.writeFile(`${scratch}/by-anonymous.txt`, 'x'),
    (e: unknown) => e instanceof AfsError && e.code === 'EACCES',
  );
  // Anonymous still reads (system:anyuser rl), and sees the same owner.
  assert.equal((await anon.fs.stat(path)).owner, user);
  assert.deepEqual(await anon.fs.readFile(path), body);

  // The kernel-side view: the FUSE client of the same cell.
  const fusePath = path.replace(/^\/afs/, env.mount);
  assert.deepEqual(await readFile(fusePath), body);
  await assert.rejects(stat(`${scratch.replace(/^\/afs/, env.mount)}/by-anonymous.txt`), { code: 'ENOENT' });
});

test('rxdebug on the file server shows our connections: security index 2 at rxkad clear, auth and crypt', async () => {
  const levels: LevelName[] = ['clear', 'auth', 'crypt'];
  const clients = levels.map((level) => open(cellClient(env, { store: box.tokens, level })));
  for (const c of clients) await c.fs.stat(scratch);
  // One listing for all three (it walks every connection of the server: slow on a busy cell).
  const all = await rxdebugConnections(env.addr, 7000);
  for (const [i, level] of levels.entries()) {
    const port = clients[i]!.endpoint.address.port;
    const conns = all.filter((x) => x.port === port && x.server);
    const rxkad = conns.filter((x) => x.securityIndex === 2);
    assert.ok(
      rxkad.length > 0,
      `no rxkad connection from port ${port}:\n${conns.map((x) => x.text).join('')}`,
    );
    for (const x of rxkad) {
      assert.equal(x.level, level, x.text);
      assert.ok(x.authenticated, x.text);
    }
    // rxnull from us is only the capability probe (kAFS probes anonymously too): at most one
    // connection for it, however many probes it carried.
    const rxnull = conns.filter((x) => x.securityIndex === 0);
    assert.ok(rxnull.length <= 1, rxnull.map((x) => x.text).join(''));
  }
});

test('tsafs unlog forgets the token; a client asking for the stored token then gets a typed error', async () => {
  const u = await runTsafs(['unlog', '--cell', env.cell], { env: box.env });
  assert.equal(u.code, 0, u.stderr);
  assert.match(u.stdout, /forgot 1 token/);
  const t = await runTsafs(['tokens', '--json'], { env: box.env });
  assert.deepEqual(JSON.parse(t.stdout), []);
  const c = open(cellClient(env, { store: box.tokens }));
  await assert.rejects(c.fs.stat(scratch), { code: 'ERR_TSAFS_NO_TOKEN' });
});
