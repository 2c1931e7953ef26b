// Which failures mean "the token is dead", and the guard that stops a client using it; the
// `tsafs tokens` view carries no secret.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RxkadToken } from '../../src/auth/token.js';
import { GuardedIdentity, isTokenDead, tokenDeadError } from '../../src/auth/token-dead.js';
import { formatTokens, tokenView } from '../../src/cli/tokens.js';
import { AfsError, abortToError, RXKADEXPIRED, VICETOKENDEAD } from '../../src/rpc/errors.js';
import { RxCallError } from '../../src/rx/errors.js';
import { rxnull } from '../../src/rx/security/null.js';
import { RXKADBADTICKET, RxkadError } from '../../src/rx/security/rxkad-errors.js';

const token: RxkadToken = {
  kvno: 256,
  ticket: Buffer.alloc(64, 7),
  sessionKey: Buffer.from('0123456789abcdef', 'hex'),
  start: 1_000,
  end: 2_000,
  identity: { name: 'alice', instance: '', cell: '' },
  cell: 'example.test',
  source: 'krb5',
};

test('VICETOKENDEAD and RXKADEXPIRED are dead tokens however they arrive; other codes are not', () => {
  assert.ok(isTokenDead(abortToError(VICETOKENDEAD)));
  assert.ok(isTokenDead(abortToError(RXKADEXPIRED)));
  assert.ok(isTokenDead(new RxCallError('remote-abort', RXKADEXPIRED)));
  assert.ok(isTokenDead(new RxkadError(RXKADEXPIRED)));
  assert.ok(
    isTokenDead(new AfsError('EIO', 'wrapped', { cause: new RxCallError('remote-abort', VICETOKENDEAD) })),
  );
  assert.ok(!isTokenDead(abortToError(RXKADBADTICKET)));
  assert.ok(!isTokenDead(new AfsError('EACCES', 'EACCES', { afsCode: 13 })));
  assert.ok(!isTokenDead(new Error('plain')));
  assert.ok(!isTokenDead(undefined));
  assert.equal(tokenDeadError(abortToError(RXKADBADTICKET), 'c'), undefined);
  const e = tokenDeadError(abortToError(VICETOKENDEAD), 'example.test');
  assert.equal(e?.code, 'ERR_TSAFS_TOKEN_EXPIRED');
  assert.match(e?.message ?? '', /tsafs login/);
});

test('the guard hands out the class until a dead-token failure, then refuses; other failures pass through', () => {
  let now = 1_500;
  const security = rxnull; // any class: the guard does not look inside it
  const g = new GuardedIdentity({ security, description: 'alice', token }, 'example.test', () => now);
  assert.equal(g.security(), security);
  const other = abortToError(RXKADBADTICKET);
  assert.equal(g.check(other), other);
  assert.equal(g.security(), security);
  const mapped = g.check(abortToError(RXKADEXPIRED)) as Error & { code?: string };
  assert.equal(mapped.code, 'ERR_TSAFS_TOKEN_EXPIRED');
  assert.ok(g.isDead);
  assert.throws(() => g.security(), { code: 'ERR_TSAFS_TOKEN_EXPIRED' });
  assert.match(g.description, /tsafs login/);

  // Past the end time the guard refuses without waiting for a server.
  const h = new GuardedIdentity({ security, description: 'alice', token }, 'example.test', () => now);
  now = 2_000;
  assert.throws(() => h.security(), { code: 'ERR_TSAFS_TOKEN_EXPIRED' });
  // Anonymous has no token to lose: a dead-token code passes through unchanged.
  const anon = new GuardedIdentity({ security, description: 'anonymous' }, 'example.test');
  const dead = abortToError(VICETOKENDEAD);
  assert.equal(anon.check(dead), dead);
  assert.equal(anon.security(), security);
});

test('the tokens view shows who, where and until when, and no key or ticket bytes', () => {
  const v = tokenView({ ...token, identity: { name: 'bob', instance: 'admin', cell: 'other.test' } }, 1_999);
  assert.deepEqual(v, {
    identity: 'bob.admin@other.test',
    cell: 'example.test',
    source: 'krb5',
    kvno: 256,
    expires: new Date(2_000_000).toISOString(),
    expired: false,
  });
  assert.equal(tokenView(token, 2_000).expired, true);
  assert.equal(tokenView({ ...token, end: 0xffffffff }).expires, null);
  const text = formatTokens([tokenView(token, 2_001)]);
  assert.match(text, /^alice in cell example\.test \(krb5, kvno 256\): EXPIRED 1970-01-01T00:33:20\.000Z\n$/);
  for (const s of [JSON.stringify(v), text]) {
    assert.ok(!s.includes('0123456789abcdef'));
    assert.ok(!s.includes(token.sessionKey.toString('base64')));
    assert.ok(!s.includes(token.ticket.toString('base64')));
  }
  assert.match(formatTokens([]), /no tokens/);
});
