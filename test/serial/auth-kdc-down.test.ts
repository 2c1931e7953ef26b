// With the KDC stopped, `tsafs login` fails with KRB5_KDC_UNREACH inside its deadline, stores
// nothing, and does not fall back to anything; the KDC is started again afterwards (and must
// answer) so the rest of the run finds the cell as it was.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { login } from '../../src/auth/login.js';
import { TokenStore } from '../../src/auth/token-store.js';
import { type AuthSandbox, authSandbox, runTsafs } from '../integration/helpers/auth.js';
import { type CellEnv, cellEnv, REPO_ROOT } from '../integration/helpers/cell.js';

const run = promisify(execFile);
const kdc = (cmd: 'start' | 'stop' | 'status') =>
  run('bash', [join(REPO_ROOT, 'scripts/kdc'), cmd], { timeout: 300_000 });

function need(name: string): string {
  const v = process.env[name];
  assert.ok(v, `${name} is not set: run under scripts/test (eval "$(bash scripts/cell env)")`);
  return v;
}

let env: CellEnv;
let box: AuthSandbox;

before(async () => {
  env = await cellEnv();
  box = await authSandbox();
  await kdc('status'); // the precondition: a KDC that answers
  await kdc('stop');
});

after(async () => {
  await kdc('start');
  await kdc('status');
  await box?.remove();
});

test('KDC down: login with a keytab is KRB5_KDC_UNREACH within its deadline, nothing stored', async () => {
  const store = new TokenStore(box.tokens);
  const t0 = Date.now();
  await assert.rejects(
    login({
      cell: env.cell,
      principal: need('AFS_TEST_PRINCIPAL'),
      keytab: need('AFS_TEST_KEYTAB'),
      store,
      kdc: { timeoutMs: 3000 },
    }),
    { code: 'KRB5_KDC_UNREACH' },
  );
  const ms = Date.now() - t0;
  assert.ok(ms <= 3500, `gave up after ${ms} ms (deadline 3000)`);
  assert.deepEqual(await store.list(), []);
});

test('KDC down: tsafs login (password on stdin) exits 1 naming the unreachable KDC, within the default 10 s', async () => {
  const r = await runTsafs(['login', need('AFS_TEST_PRINCIPAL'), '--cell', env.cell], {
    env: box.env,
    input: `${need('AFS_TEST_PASSWORD')}\n`,
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /no KDC of realm TSAFS\.TEST answered/);
  assert.ok(r.ms < 15_000, `took ${r.ms} ms`);
  assert.ok(!r.stderr.includes(need('AFS_TEST_PASSWORD')));
  assert.deepEqual(await new TokenStore(box.tokens).list(), []);
});
