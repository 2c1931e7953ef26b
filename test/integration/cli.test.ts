// The tsafs command line against the loopback cell, with OpenAFS's own FUSE client at /afs (and
// the libafscp fixture) as referee. Everything happens under one scratch directory per run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { modeString } from '../../src/cli/format.js';
import { type CellEnv, cellEnv, fixture, REPO_ROOT, sha256File } from './helpers/cell.js';
import { eventually } from './helpers/files.js';

let env: CellEnv;
let scratch: string;
let local: string;

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the compiled CLI with the cell's configuration. */
function tsafs(args: string[], input?: Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'dist/src/cli/main.js'), '--cell', env.cell, '--cellservdb', env.cellServDb, ...args],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

async function ok(args: string[], input?: Buffer): Promise<Run> {
  const r = await tsafs(args, input);
  assert.equal(r.code, 0, `tsafs ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

before(async () => {
  env = await cellEnv();
  scratch = `${env.rwDir}/cli-${process.pid}-${Date.now().toString(36)}`;
  local = await fsp.mkdtemp(join(tmpdir(), 'tsafs-cli-'));
  await ok(['mkdir', scratch]);
});

after(async () => {
  // --localauth: the ACL test takes rights away from anonymous.
  if (scratch) await tsafs(['rm', '-r', '-f', scratch, '--localauth']);
  if (local) await fsp.rm(local, { recursive: true, force: true });
});

test('put then get round trip: files, stdin and stdout; bytes checked through the FUSE mount', async () => {
  for (const size of [0, 1, 1413, 3 << 20]) {
    const data = randomBytes(size);
    const src = join(local, `in-${size}`);
    await fsp.writeFile(src, data);
    const afs = `${scratch}/f-${size}`;
    await ok(['put', src, afs]);
    await eventually(async () => assert.equal(await sha256File(afs), sha(data), `mount sees ${size} bytes`));
    const back = join(local, `out-${size}`);
    await ok(['get', afs, back]);
    assert.equal(sha(await fsp.readFile(back)), sha(data));
    const viaStdout = await ok(['get', afs, '-']);
    assert.equal(sha(viaStdout.stdout), sha(data));
  }
  const piped = randomBytes(1 << 20);
  await ok(['put', '-', `${scratch}/stdin.bin`], piped);
  await eventually(async () => assert.equal(await sha256File(`${scratch}/stdin.bin`), sha(piped)));
  const cat = await ok(['cat', `${scratch}/stdin.bin`, `${scratch}/f-1413`]);
  assert.equal(cat.stdout.length, piped.length + 1413);
  assert.equal(sha(cat.stdout.subarray(0, piped.length)), sha(piped));
  // A directory as the destination takes the source's name, as cp does.
  await ok(['put', join(local, 'in-1'), scratch]);
  await eventually(async () => assert.equal((await fsp.stat(`${scratch}/in-1`)).size, 1));
});

test('ls -l and ls --json agree with stat through the mount (names, sizes, modes, link targets)', async () => {
  const dir = `${scratch}/lsdir`;
  await ok(['mkdir', dir]);
  await ok(['put', '-', `${dir}/a file.txt`], Buffer.from('hello'));
  await ok(['put', '-', `${dir}/big`], randomBytes(70_000));
  await fsp.writeFile(join(local, 'exec.sh'), '#!/bin/sh\n', { mode: 0o755 });
  await fsp.chmod(join(local, 'exec.sh'), 0o755);
  await ok(['put', join(local, 'exec.sh'), `${dir}/exec.sh`]);
  await ok(['mkdir', `${dir}/sub`]);
  await ok(['ln', '-s', 'a file.txt', `${dir}/link`]);
  const text = (await ok(['ls', '-l', dir])).stdout.toString();
  const rows = text
    .trimEnd()
    .split('\n')
    .map((line) => {
      const m =
        /^(\S{10}) +(\d+) (\d+) +(\d+) +(\d+) (\w{3} [ \d]\d (?:\d\d:\d\d| \d{4})) (.*?)(?: -> (.*))?$/.exec(
          line,
        );
      assert.ok(m, `ls -l line: ${line}`);
      return { mode: m[1]!, nlink: Number(m[2]), size: Number(m[5]), name: m[7]!, target: m[8] };
    });
  const names = rows.map((r) => r.name);
  assert.deepEqual(names, ['a file.txt', 'big', 'exec.sh', 'link', 'sub']);
  await eventually(async () => {
    assert.deepEqual((await fsp.readdir(dir)).sort(), [...names].sort());
    for (const r of rows) {
      const st = await fsp.lstat(join(dir, r.name));
      assert.equal(r.size, st.size, `${r.name} size`);
      if (st.isSymbolicLink()) {
        assert.equal(r.mode[0], 'l');
        assert.equal(r.target, await fsp.readlink(join(dir, r.name)));
      } else assert.equal(r.mode, modeString(st.mode), `${r.name} mode`);
      if (st.isFile()) assert.equal(r.nlink, st.nlink, `${r.name} links`);
    }
  });
  assert.equal(rows.find((r) => r.name === 'exec.sh')?.mode, '-rwxr-xr-x');
  const json = JSON.parse((await ok(['ls', '-l', '--json', dir])).stdout.toString());
  assert.equal(json[0].path, dir);
  const byName = new Map<string, Record<string, unknown>>(
    json[0].entries.map((e: { name: string }) => [e.name, e]),
  );
  assert.equal(byName.get('big')?.size, 70_000);
  assert.equal(byName.get('big')?.type, 'file');
  assert.equal(byName.get('sub')?.type, 'directory');
  assert.equal(byName.get('link')?.target, 'a file.txt');
  // Mount points: a directory to the user, the target in --json.
  const cellRoot = JSON.parse((await ok(['ls', '--json', `/afs/${env.cell}`])).stdout.toString());
  const rw = cellRoot[0].entries.find((e: { name: string }) => e.name === env.rwDir.split('/').at(-1));
  assert.equal(rw.type, 'directory');
  assert.equal(rw.mountPoint, `#${env.rwVolume}.`);
  // -R descends, with headers.
  await ok(['put', '-', `${dir}/sub/deep`], Buffer.from('d'));
  const rec = (await ok(['ls', '-R', dir])).stdout.toString();
  assert.match(rec, new RegExp(`${dir}/sub:\\ndeep\\n`));
});

test('mkdir -p, mv, ln -s, rm -r, as the mount sees them', async () => {
  const base = `${scratch}/ops`;
  await ok(['mkdir', '-p', `${base}/x/y/z`]);
  await ok(['mkdir', '-p', `${base}/x/y/z`]); // again: no error
  await eventually(async () => assert.ok((await fsp.stat(`${base}/x/y/z`)).isDirectory()));
  assert.equal((await tsafs(['mkdir', `${base}/x`])).code, 1, 'plain mkdir of an existing directory fails');
  await ok(['put', '-', `${base}/x/y/z/file`], Buffer.from('moved'));
  await ok(['mv', `${base}/x/y/z/file`, `${base}/renamed`]);
  await ok(['mv', `${base}/renamed`, `${base}/x`]); // into a directory
  await eventually(async () => {
    assert.equal(await fsp.readFile(`${base}/x/renamed`, 'utf8'), 'moved');
    await assert.rejects(fsp.stat(`${base}/x/y/z/file`), { code: 'ENOENT' });
  });
  await ok(['ln', '-s', 'x/renamed', `${base}/sym`]);
  await eventually(async () => {
    assert.equal(await fsp.readlink(`${base}/sym`), 'x/renamed');
    assert.equal(await fsp.readFile(`${base}/sym`, 'utf8'), 'moved');
  });
  await ok(['ln', `${base}/x/renamed`, `${base}/x/hard`]);
  await eventually(async () => assert.equal((await fsp.stat(`${base}/x/hard`)).nlink, 2));
  const rmDir = await tsafs(['rm', `${base}/x`]);
  assert.equal(rmDir.code, 1);
  assert.match(rmDir.stderr, /^tsafs rm: .*directory/);
  await ok(['rm', '-r', `${base}/x`]);
  await eventually(async () => assert.deepEqual(await fsp.readdir(base), ['sym']));
  await ok(['rm', '-f', `${base}/never-existed`]);
});

test('acl set (--localauth) and acl get, refereed by libafscp and by what anonymous may do through the mount', async () => {
  const dir = `${scratch}/acl`;
  await ok(['mkdir', dir]);
  await fsp.writeFile(`${dir}/before.txt`, 'anonymous may write'); // through the mount: anonymous
  await ok(['acl', 'set', dir, 'system:anyuser', 'read', 'system:administrators', 'all', '--localauth']);
  const got = JSON.parse((await ok(['acl', 'get', '--json', dir])).stdout.toString());
  assert.deepEqual(got.positive, [
    { name: 'system:administrators', rights: 'rlidwka', mask: 0x7f },
    { name: 'system:anyuser', rights: 'rl', mask: 0x9 },
  ]);
  const ref = (await fixture(['getacl', dir])).stdout;
  assert.match(ref, /^system:anyuser\s+9$/m);
  assert.match(ref, /^system:administrators\s+127$/m);
  await eventually(async () => {
    await assert.rejects(fsp.writeFile(`${dir}/after.txt`, 'no'), { code: 'EACCES' });
  });
  // Anonymous cannot change it back; the exit code says permission.
  const denied = await tsafs(['acl', 'set', dir, 'system:anyuser', 'all', '--anonymous']);
  assert.equal(denied.code, 4, denied.stderr);
  // --clear replaces the list.
  await ok(['acl', 'set', '--clear', dir, 'system:administrators', 'all', '--localauth']);
  assert.doesNotMatch((await fixture(['getacl', dir])).stdout, /system:anyuser/);
  const text = (await ok(['acl', 'get', dir, '--localauth'])).stdout.toString();
  assert.equal(text, `Access list for ${dir} is\nNormal rights:\n  system:administrators rlidwka\n`);
  assert.equal((await tsafs(['acl', 'set', dir, 'bob', 'rxq'])).code, 2, 'bad rights letters');
});

test('quota, whereis, examine, lsmount agree with vos and the VLDB', async () => {
  const q = JSON.parse((await ok(['quota', '--json', scratch])).stdout.toString());
  assert.equal(q.volume, env.rwVolume);
  const vos = (await (await import('./helpers/cell.js')).vosExamine(env.rwVolume)).toString();
  const maxQuota = Number(/MaxQuota\s+(\d+) K/.exec(vos)?.[1]);
  assert.equal(q.quota, maxQuota === 0 ? null : maxQuota);
  assert.equal(q.volumeId, Number(/RWrite\s+(\d+)/.exec(vos)?.[1]));
  assert.ok(q.used > 0);
  const qt = (await ok(['quota', scratch])).stdout.toString();
  assert.match(
    qt,
    new RegExp(`^${env.rwVolume.replace('.', '\\.')}\\s+(no limit|\\d+)\\s+\\d+\\s+\\d+%\\s+\\d+%$`, 'm'),
  );
  const w = JSON.parse((await ok(['whereis', '--json', scratch])).stdout.toString());
  assert.deepEqual(w.servers, [env.addr]);
  assert.equal(w.volume, env.rwVolume);
  assert.match((await ok(['whereis', scratch])).stdout.toString(), new RegExp(`is on host ${env.addr}`));
  const ex = (await ok(['examine', scratch])).stdout.toString();
  assert.match(ex, new RegExp(`Volume status for vid = ${q.volumeId} named ${env.rwVolume}`));
  const lm = JSON.parse((await ok(['lsmount', '--json', env.rwDir])).stdout.toString());
  assert.equal(lm.volume, env.rwVolume);
  assert.equal((await tsafs(['lsmount', scratch])).code, 1, 'a plain directory is no mount point');
});

test('mkmount makes a mount point the FUSE client crosses', async () => {
  const mp = `${scratch}/mp`;
  await ok(['mkmount', mp, env.roVolume, '--localauth']); // mount points need the a right
  const lm = JSON.parse((await ok(['lsmount', '--json', mp])).stdout.toString());
  assert.equal(lm.contents, `#${env.roVolume}.`);
  await eventually(async () => {
    const viaMount = (await fsp.readdir(mp)).sort();
    const viaTsafs = (await ok(['ls', mp])).stdout.toString().trimEnd().split('\n').filter(Boolean).sort();
    assert.deepEqual(viaTsafs, viaMount);
  });
  await ok(['rm', mp, '--localauth']);
  // --cell after the command is the mount point's own cell.
  await ok(['mkmount', `${scratch}/mpc`, env.roVolume, '--cell', env.cell, '--localauth']);
  assert.equal(
    (await ok(['lsmount', `${scratch}/mpc`])).stdout.toString(),
    `'${scratch}/mpc' is a mount point for volume '#${env.cell}:${env.roVolume}.'\n`,
  );
});

test('stat --json gives the AFS fields, matching the libafscp fixture', async () => {
  const f = `${scratch}/statme`;
  await ok(['put', '-', f], Buffer.from('twelve bytes'));
  const s = JSON.parse((await ok(['stat', '--json', f])).stdout.toString());
  const ref = (await fixture(['stat', f])).stdout;
  const kv = Object.fromEntries([...ref.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
  assert.deepEqual(s.fid, { volume: Number(kv.volume), vnode: Number(kv.vnode), unique: Number(kv.unique) });
  assert.equal(s.dataVersion, kv.dv);
  assert.equal(s.size, 12);
  assert.equal(s.type, 'file');
  assert.equal((s.mode & 0o7777).toString(8).padStart(4, '0'), kv.mode);
  assert.equal(s.cell, env.cell);
  assert.equal(s.volume, Number(kv.volume));
  assert.equal(s.rights, 'rlidwka');
  assert.equal(typeof s.owner, 'number');
});

test('exit codes: missing path 3, permission denied 4, bad usage 2; messages name the command', async () => {
  const missing = await tsafs(['stat', `${scratch}/no-such-file`]);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /^tsafs stat: ENOENT/);
  assert.equal((await tsafs(['cat', `${scratch}/no-such-file`])).code, 3);
  assert.equal((await tsafs(['put', join(local, 'no-such-local'), `${scratch}/x`])).code, 3);
  const denied = await tsafs(['ls', env.privateDir, '--anonymous']);
  assert.equal(denied.code, 4);
  assert.match(denied.stderr, /^tsafs ls: EACCES/);
  assert.equal((await tsafs(['cat', `${env.privateDir}/anything`, '--anonymous'])).code, 4);
  for (const bad of [
    ['ls', '--bogus'],
    ['get', 'one'],
    ['acl'],
    ['acl', 'set', scratch],
    ['no-such-command'],
    [],
  ]) {
    const r = await tsafs(bad);
    assert.equal(r.code, 2, `${bad.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /usage|unknown/);
  }
});

test('get -r of a tree written through the mount, put -r of a local tree read back through the mount', async () => {
  const tree = `${scratch}/tree`;
  await fsp.mkdir(`${tree}/a/b`, { recursive: true });
  const files: Record<string, Buffer> = {
    'top.bin': randomBytes(5000),
    'a/mid.txt': Buffer.from('middle'),
    'a/b/deep.bin': randomBytes(200_000),
    'a/b/empty': Buffer.alloc(0),
    'name with spaces': Buffer.from('s'),
  };
  for (const [rel, data] of Object.entries(files)) await fsp.writeFile(`${tree}/${rel}`, data);
  const dest = join(local, 'got');
  const r = await ok(['get', '-r', '--json', tree, dest]);
  const report = JSON.parse(r.stdout.toString());
  assert.equal(report.files, Object.keys(files).length);
  assert.deepEqual(report.refused, []);
  for (const [rel, data] of Object.entries(files))
    assert.equal(sha(await fsp.readFile(join(dest, rel))), sha(data), rel);
  // Into an existing directory: a new directory named after the source.
  const into = join(local, 'into');
  await fsp.mkdir(into);
  await ok(['get', '-r', tree, into]);
  assert.equal(sha(await fsp.readFile(join(into, 'tree', 'a/b/deep.bin'))), sha(files['a/b/deep.bin']!));
  // And the other way.
  const up = `${scratch}/uploaded`;
  await ok(['put', '-r', dest, up]);
  await eventually(async () => {
    for (const [rel, data] of Object.entries(files))
      assert.equal(await sha256File(`${up}/${rel}`), sha(data), rel);
  });
  assert.equal((await tsafs(['get', tree, join(local, 'x')])).code, 1, 'a directory without -r');
});

test('whoami and debug records', async () => {
  assert.match((await ok(['whoami', '--anonymous'])).stdout.toString(), /^anonymous in cell /);
  const la = JSON.parse((await ok(['whoami', '--json', '--localauth'])).stdout.toString());
  assert.equal(la.anonymous, false);
  assert.match(la.identity, /admin/);
  const snap = JSON.parse((await ok(['debug', 'records', '--json', scratch])).stdout.toString());
  assert.ok(snap.cells.some((c: { name: string }) => c.name === env.cell));
  assert.ok(snap.servers.length >= 1);
  assert.ok(snap.volumes.some((v: { name: string }) => v.name === env.rwVolume));
  const text = (await ok(['debug', 'records'])).stdout.toString();
  assert.match(text, /^CELL /m);
  assert.match(text, new RegExp(`^${env.cell.replace('.', '\\.')} `, 'm'));
});
