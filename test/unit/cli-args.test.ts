// The command line: global options anywhere, strict per-command options, ACL pairs, ls formats.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenStore } from '../../src/auth/token-store.js';
import { applyAclPairs, parseAclPairs } from '../../src/cli/acl.js';
import { authFor, parseCommandArgs, parseCommandLine, parseCopyArgs } from '../../src/cli/args.js';
import { COMMANDS, loadCommand } from '../../src/cli/commands.js';
import { lsDate, modeString } from '../../src/cli/format.js';
import { EXIT, exitCodeFor, UsageError } from '../../src/cli/output.js';
import { AfsError } from '../../src/rpc/errors.js';

test('global options are taken from anywhere; the rest stays with the command in order', () => {
  const r = parseCommandLine(['--json', 'ls', '-l', '--cell', 'Tsafs.Test', '/afs/x', '--anonymous', '-R']);
  assert.equal(r.command, 'ls');
  assert.deepEqual(r.args, ['-l', '/afs/x', '-R']);
  assert.equal(r.globals.json, true);
  assert.equal(r.globals.cell, 'tsafs.test');
  assert.equal(r.globals.anonymous, true);
  const eq = parseCommandLine(['--cellservdb=/etc/x', 'whoami', '--level=clear', '--localauth-as', 'bob']);
  assert.equal(eq.globals.cellservdb, '/etc/x');
  assert.equal(eq.globals.level, 'clear');
  assert.equal(eq.globals.localauthAs, 'bob');
});

test('after -- nothing is a global option, and "-" stays a positional', () => {
  const r = parseCommandLine(['put', '-', '--', '--json']);
  assert.equal(r.command, 'put');
  assert.deepEqual(r.args, ['-', '--', '--json']);
  assert.equal(r.globals.json, false);
  const { positionals } = parseCommandArgs(r.args, {}, 'u');
  assert.deepEqual(positionals, ['-', '--json']);
});

test('bad global options are usage errors', () => {
  for (const argv of [
    ['--cell'],
    ['ls', '--cell', '--json'],
    ['--level', 'paranoid', 'ls'],
    ['--json=yes', 'ls'],
    ['-x', 'ls'],
    ['--anonymous', '--localauth', 'ls'],
    ['--anonymous', '--level', 'crypt', 'ls'],
  ]) {
    assert.throws(() => parseCommandLine(argv), UsageError, argv.join(' '));
  }
});

test('auth: anonymous, localauth (with user and level), stored token with a level, default auto', () => {
  const g = (argv: string[]) => authFor(parseCommandLine([...argv, 'whoami']).globals);
  assert.equal(g([]), undefined);
  assert.equal(g(['--anonymous']), 'anonymous');
  assert.deepEqual(g(['--localauth']), { localauth: { user: undefined } });
  assert.deepEqual(g(['--localauth-as', 'bob', '--level', 'auth']), {
    localauth: { user: 'bob' },
    level: 'auth',
  });
  const stored = g(['--level', 'clear']) as { store: unknown; level: string };
  assert.ok(stored.store instanceof TokenStore);
  assert.equal(stored.level, 'clear');
});

test('command options are strict: combined short flags work, unknown options are usage errors', () => {
  const opts = { long: { type: 'boolean', short: 'l' }, recursive: { type: 'boolean', short: 'R' } } as const;
  const { values, positionals } = parseCommandArgs(['-lR', 'a', 'b'], opts, 'usage: x');
  assert.deepEqual({ ...values }, { long: true, recursive: true });
  assert.deepEqual(positionals, ['a', 'b']);
  assert.throws(
    () => parseCommandArgs(['-z'], opts, 'usage: x'),
    (e: unknown) => e instanceof UsageError && /usage: x/.test(e.message),
  );
  assert.deepEqual(parseCopyArgs(['-r', 'a', 'b'], 'u'), { recursive: true, from: 'a', to: 'b' });
  assert.throws(() => parseCopyArgs(['a'], 'u'), UsageError);
  assert.throws(() => parseCopyArgs(['a', 'b', 'c'], 'u'), UsageError);
});

test('acl set pairs: letters and shorthands, none removes, --clear replaces, bad rights are usage errors', () => {
  const pairs = parseAclPairs(['system:anyuser', 'read', 'bob', 'rlidwk', 'alice', 'none']);
  assert.deepEqual(pairs, [
    { name: 'system:anyuser', rights: 0x9 },
    { name: 'bob', rights: 0x3f },
    { name: 'alice', rights: 0 },
  ]);
  const acl = {
    positive: [
      { name: 'system:administrators', rights: 0x7f },
      { name: 'alice', rights: 0x9 },
      { name: 'system:anyuser', rights: 0x3f },
    ],
    negative: [],
  };
  const next = applyAclPairs(acl, pairs, {});
  assert.deepEqual(next.positive, [
    { name: 'system:administrators', rights: 0x7f },
    { name: 'system:anyuser', rights: 0x9 },
    { name: 'bob', rights: 0x3f },
  ]);
  const cleared = applyAclPairs(acl, parseAclPairs(['bob', 'all']), { clear: true });
  assert.deepEqual(cleared, { positive: [{ name: 'bob', rights: 0x7f }], negative: [] });
  const neg = applyAclPairs(acl, parseAclPairs(['bob', 'w']), { negative: true });
  assert.deepEqual(neg.negative, [{ name: 'bob', rights: 0x2 }]);
  assert.equal(neg.positive.length, 3);
  assert.throws(() => parseAclPairs(['bob', 'rxq']), UsageError);
  assert.throws(() => parseAclPairs(['bob']), UsageError);
  assert.throws(() => parseAclPairs([]), UsageError);
});

test('exit codes: usage 2, not found 3, permission 4, unreachable 5, for AFS and local errors alike', () => {
  assert.equal(exitCodeFor(new UsageError('x')), EXIT.USAGE);
  assert.equal(exitCodeFor(new AfsError('ENOENT', 'x')), EXIT.NOT_FOUND);
  assert.equal(exitCodeFor(Object.assign(new Error('local'), { code: 'ENOENT' })), EXIT.NOT_FOUND);
  assert.equal(exitCodeFor(new AfsError('EACCES', 'x', { afsCode: 49733388 })), EXIT.PERMISSION);
  assert.equal(
    exitCodeFor(Object.assign(new Error('t'), { code: 'ERR_TSAFS_TOKEN_EXPIRED' })),
    EXIT.PERMISSION,
  );
  assert.equal(exitCodeFor(new AfsError('ETIMEDOUT', 'x', { afsCode: -1 })), EXIT.UNREACHABLE);
  assert.equal(exitCodeFor(new AfsError('EEXIST', 'x')), EXIT.FAILURE);
});

test('every registered command loads and carries its own name and a usage line', async () => {
  for (const name of Object.keys(COMMANDS)) {
    const c = await loadCommand(name);
    assert.ok(c, name);
    assert.equal(c.name, name);
    assert.match(c.usage, new RegExp(`^usage: tsafs ${name}\\b`));
    assert.ok(c.summary.length > 0);
  }
  assert.equal(await loadCommand('toString'), undefined, 'no prototype names');
  assert.equal(await loadCommand('nope'), undefined);
});

test('ls -l mode strings and dates', () => {
  assert.equal(modeString(0o040755), 'drwxr-xr-x');
  assert.equal(modeString(0o100644), '-rw-r--r--');
  assert.equal(modeString(0o120777), 'lrwxrwxrwx');
  assert.equal(modeString(0o104755), '-rwsr-xr-x');
  assert.equal(modeString(0o041777), 'drwxrwxrwt');
  assert.equal(modeString(0o102640), '-rw-r-S---');
  const now = new Date(2026, 10, 28, 12, 0).getTime();
  assert.equal(lsDate(new Date(2026, 10, 28, 4, 7), now), 'Nov 28 04:07');
  assert.equal(lsDate(new Date(2025, 0, 5, 4, 7), now), 'Jan  5  2025');
});

test('a command may claim a global option that follows it (mkmount --cell); before it, it stays global', () => {
  const claims = { mkmount: ['cell'] };
  const r = parseCommandLine(
    ['--cell', 'home', 'mkmount', 'p', 'v', '--cell', 'other.org', '--json'],
    claims,
  );
  assert.equal(r.globals.cell, 'home');
  assert.equal(r.globals.json, true);
  assert.deepEqual(r.args, ['p', 'v', '--cell', 'other.org']);
  assert.deepEqual(parseCommandLine(['ls', '--cell', 'x'], claims).args, []);
});

test('--bind takes addr, addr:port or :port and reaches the client options', () => {
  assert.deepEqual(parseCommandLine(['--bind', '127.0.0.5', 'ls']).globals.bind, { host: '127.0.0.5' });
  assert.deepEqual(parseCommandLine(['ls', '--bind=127.0.0.5:7001']).globals.bind, {
    host: '127.0.0.5',
    port: 7001,
  });
  assert.deepEqual(parseCommandLine(['--bind', ':7001', 'ls']).globals.bind, { port: 7001 });
  for (const bad of ['', 'host.example', '127.0.0.1:70000', '300.1.1.1', '127.0.0.1:'])
    assert.throws(() => parseCommandLine([`--bind=${bad}`, 'ls']), UsageError, bad);
});
