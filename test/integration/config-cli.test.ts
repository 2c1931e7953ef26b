// The configuration as a user meets it, against the loopback cell: a CellServDB with a malformed
// line still gives every good cell (with one warning naming the line), a CellAlias name reaches
// the real cell, and `tsafs config` says what was read where.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { AfsClient } from '../../src/client.js';
import { type CellEnv, cellEnv, REPO_ROOT } from './helpers/cell.js';

const run = promisify(execFile);
let env: CellEnv;
let dir: string;

function tsafs(args: string[], extraEnv: Record<string, string> = {}) {
  return run(process.execPath, [join(REPO_ROOT, 'dist/src/cli/main.js'), ...args], {
    env: { ...process.env, TSAFS_DNS: 'off', ...extraEnv },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}

before(async () => {
  env = await cellEnv();
  dir = await mkdtemp(join(tmpdir(), 'tsafs-confcli-'));
  const real = await readFile(env.cellServDb, 'utf8');
  // A broken line before and inside the real cell's entry, and a second cell after it.
  await writeFile(
    join(dir, 'CellServDB'),
    `this line is garbage\n${real.trimEnd()}\n300.1.2.3 #bad address\n>other.test #another cell\n127.1.0.99 #vl\n`,
  );
  await writeFile(join(dir, 'ThisCell'), `${env.cell}\n`);
  await writeFile(join(dir, 'CellAlias'), `${env.cell} short\n`);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a malformed CellServDB line: one warning with file:line, every good cell still listed and usable', async () => {
  const r = await tsafs(['--cellservdb', join(dir, 'CellServDB'), '--anonymous', 'ls', '/afs/']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').sort(), [env.cell, 'other.test'].sort());
  const warnings = r.stderr.trim().split('\n');
  const lines = (await readFile(join(dir, 'CellServDB'), 'utf8')).split('\n');
  const badAt = lines.findIndex((l) => l.startsWith('300.')) + 1;
  assert.deepEqual(
    warnings.map((w) => w.match(/CellServDB:(\d+):/)?.[1]),
    ['1', String(badAt)],
  );
  for (const w of warnings) assert.match(w, /^tsafs: warning: /);
  const rw = await tsafs(['--cellservdb', join(dir, 'CellServDB'), '--anonymous', 'ls', `/afs/${env.cell}`]);
  assert.equal(rw.code, 0, rw.stderr);
  assert.match(rw.stdout, /\brw\b/);
});

test('a CellAlias name reaches the real cell (one record, the real name)', async () => {
  const c = new AfsClient({ configDirs: [dir], auth: 'anonymous', dns: false, onWarning: () => {} });
  try {
    const viaAlias = await c.fs.readdir('/afs/short');
    assert.deepEqual(viaAlias.sort(), (await c.fs.readdir(`/afs/${env.cell}`)).sort());
    assert.ok(viaAlias.includes('rw'));
    assert.equal((await c.cell('short')).name, env.cell);
  } finally {
    await c.close();
  }
});

test('tsafs config shows the directory, files read, cells with their lines, aliases, skipped lines', async () => {
  const r = await tsafs(['config', '--json'], { AFSCONF: dir, HOME: dir });
  assert.equal(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout) as {
    configDir: string;
    thisCell: string;
    cells: { name: string; from: string }[];
    aliases: Record<string, string>;
    warnings: string[];
    looked: { path: string; found: boolean; used: boolean }[];
  };
  // /etc/openafs holds the cell's configuration on this machine: AFSCONF is only a fallback.
  assert.equal(v.configDir, '/etc/openafs');
  assert.equal(v.thisCell, env.cell);
  assert.ok(v.looked.some((l) => l.path === '/etc/openafs/CellServDB' && l.used));
  const text = await tsafs(['--cellservdb', join(dir, 'CellServDB'), 'config']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(
    text.stdout,
    new RegExp(`${env.cell}\\s+127\\.1\\.0\\.1\\s+\\(${join(dir, 'CellServDB')}:\\d+\\)`),
  );
  assert.match(text.stdout, /skipped: .*CellServDB:1: /);
  assert.match(text.stdout, /DNS discovery of other cells: off/);
});

test('--verbose and NODE_DEBUG=tsafs print the record trace on stderr; --quiet drops warnings', async () => {
  const args = ['--cellservdb', join(dir, 'CellServDB'), '--anonymous', 'ls', `/afs/${env.cell}`];
  const verbose = await tsafs(['--verbose', ...args]);
  assert.equal(verbose.code, 0, verbose.stderr);
  assert.match(verbose.stderr, new RegExp(`^TSAFS \\d+: cell ${env.cell.replace('.', '\\.')} alloc `, 'm'));
  const debug = await tsafs(args, { NODE_DEBUG: 'tsafs' });
  assert.match(debug.stderr, /^TSAFS \d+: server /m);
  const plain = await tsafs(args);
  assert.doesNotMatch(plain.stderr, /^TSAFS /m);
  const quiet = await tsafs(['--quiet', ...args]);
  assert.equal(quiet.code, 0);
  assert.equal(quiet.stderr, '');
});
