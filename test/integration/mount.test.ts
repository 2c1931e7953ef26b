// `tsafs mount` against the real cell: this test process serves a FUSE mount of /afs (so every
// node:fs call below also proves that a program may read its own mount without deadlocking), and
// OpenAFS's afsd.fuse at /afs is the referee for content both ways. Needs root, as mounting does.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { AfsClient } from '../../src/client.js';
import { AfsFuse } from '../../src/mount/afs-fuse.js';
import { isDeadMount } from '../../src/mount/fuse-device.js';
import { type CellEnv, cellEnv, REPO_ROOT } from './helpers/cell.js';
import { adminClient, eventually, pattern, type Scratch, scratchDir, sha256 } from './helpers/files.js';

const run = promisify(execFile);
const MiB = 1 << 20;

let env: CellEnv;
let client: AfsClient;
let fuse: AfsFuse;
let mnt: string;
let dir: Scratch;
/** The scratch directory as seen through our mount, and through the afsd.fuse referee. */
let viaUs: string;
let viaRef: string;

before(async () => {
  env = await cellEnv();
  client = adminClient(env);
  dir = await scratchDir(client, 'mount');
  mnt = await fsp.mkdtemp(join(tmpdir(), 'tsafs-mnt-'));
  fuse = new AfsFuse(client, mnt);
  await fuse.start();
  const rel = dir.path.slice(client.mount.length);
  viaUs = mnt + rel;
  viaRef = env.mount + rel;
});

after(async () => {
  await fuse?.close();
  await dir?.remove();
  await client?.close();
  await fsp.rmdir(mnt).catch(() => {});
});

describe('tsafs mount: the namespace', () => {
  test('the dynamic root lists the configured cells; a cell lists as through afsd.fuse', async () => {
    assert.ok((await fsp.readdir(mnt)).includes(env.cell));
    const ours = (await fsp.readdir(join(mnt, env.cell))).sort();
    const ref = (await fsp.readdir(join(env.mount, env.cell))).sort();
    assert.deepEqual(ours, ref);
  });

  test('mount points show as directories and are crossed (rw volume root)', async () => {
    const st = await fsp.stat(join(mnt, env.cell, 'rw'));
    assert.ok(st.isDirectory());
    const lst = await fsp.lstat(join(mnt, env.cell, 'rw'));
    assert.ok(lst.isDirectory());
  });

  test('user.afs.* attributes: FID, cell, volume, ACL (read through the kernel by python3)', async () => {
    const py =
      'import os,sys; p=sys.argv[1]; print(sorted(os.listxattr(p))); print(os.getxattr(p, sys.argv[2]).decode())';
    const read = async (name: string) => {
      const { stdout } = await run('python3', ['-c', py, viaUs, name]);
      const [names, ...value] = stdout.replace(/\n$/, '').split('\n');
      return { names, value: value.join('\n') };
    };
    const st = await client.fs.stat(dir.path);
    const fid = await read('user.afs.fid');
    assert.equal(fid.names, "['user.afs.acl', 'user.afs.cell', 'user.afs.fid', 'user.afs.volume']");
    assert.equal(fid.value, `${st.fid.volume}.${st.fid.vnode}.${st.fid.unique}`);
    assert.equal((await read('user.afs.cell')).value, env.cell);
    assert.equal((await read('user.afs.volume')).value, env.rwVolume);
    assert.match((await read('user.afs.acl')).value ?? '', /system:administrators/);
  });
});

describe('tsafs mount: data, with afsd.fuse as the referee', () => {
  for (const size of [0, 1, 4096, 1412 * 32 + 1, 3 * MiB + 17]) {
    test(`${size} bytes written through the mount read back through afsd.fuse`, async () => {
      const data = pattern(size, size + 1);
      const name = `w-${size}`;
      await fsp.writeFile(join(viaUs, name), data);
      const back = await eventually(async () => {
        const b = await fsp.readFile(join(viaRef, name));
        assert.equal(b.length, size);
        return b;
      });
      assert.equal(sha256(back), sha256(data));
    });
  }

  test('a file written through afsd.fuse reads back through the mount', async () => {
    const data = pattern(2 * MiB + 5, 9);
    await fsp.writeFile(join(viaRef, 'from-ref'), data);
    const back = await eventually(async () => {
      const b = await fsp.readFile(join(viaUs, 'from-ref'));
      assert.equal(b.length, data.length);
      return b;
    }, 60_000);
    assert.equal(sha256(back), sha256(data));
  });

  test('positioned writes, append, truncate and rename behave as on a local disk', async () => {
    const local = await fsp.mkdtemp(join(tmpdir(), 'tsafs-local-'));
    try {
      for (const base of [local, viaUs]) {
        const p = join(base, 'ops');
        await fsp.writeFile(p, 'hello world');
        const fh = await fsp.open(p, 'r+');
        await fh.write('XY', 2);
        await fh.close();
        await fsp.appendFile(p, '!!');
        await fsp.truncate(p, 12);
        await fsp.rename(p, join(base, 'ops2'));
        await fsp.symlink('ops2', join(base, 'ln'));
        await fsp.mkdir(join(base, 'sub', 'deeper'), { recursive: true });
        await fsp.chmod(join(base, 'ops2'), 0o640);
        await fsp.utimes(join(base, 'ops2'), 1_000_000_000, 1_000_000_000);
      }
      const [a, b] = [await fsp.stat(join(local, 'ops2')), await fsp.stat(join(viaUs, 'ops2'))];
      assert.equal(b.mode, a.mode);
      assert.equal(b.mtimeMs, a.mtimeMs);
      assert.equal(b.size, a.size);
      for (const name of ['ops2', 'ln']) {
        assert.equal(
          await fsp.readFile(join(viaUs, name), 'utf8'),
          await fsp.readFile(join(local, name), 'utf8'),
        );
      }
      assert.equal(await fsp.readlink(join(viaUs, 'ln')), 'ops2');
      assert.deepEqual((await fsp.readdir(join(viaUs, 'sub'))).sort(), ['deeper']);
      const e = await fsp.readFile(join(viaUs, 'ops')).catch((x: NodeJS.ErrnoException) => x.code);
      assert.equal(e, 'ENOENT');
      assert.equal(await eventually(() => fsp.readFile(join(viaRef, 'ops2'), 'utf8')), 'heXYo world!');
    } finally {
      await fsp.rm(local, { recursive: true, force: true });
    }
  });

  test('ls -l, cp -R --preserve and tar work in the mount; the tree reads back identically', async () => {
    const src = await fsp.mkdtemp(join(tmpdir(), 'tsafs-tree-'));
    try {
      await fsp.mkdir(join(src, 'a', 'b'), { recursive: true });
      await fsp.writeFile(join(src, 'a', 'one'), pattern(70_000, 1));
      await fsp.writeFile(join(src, 'a', 'b', 'two'), pattern(5, 2));
      await fsp.symlink('one', join(src, 'a', 'link'));
      // Owners are PTS ids the file server sets: ownership is not preserved (as with afsd.fuse).
      await run('cp', ['-R', '--preserve=mode,timestamps,links', join(src, 'a'), join(viaUs, 'tree')]);
      await run('tar', ['-C', viaUs, '-cf', join(src, 'tree.tar'), 'tree']);
      const { stdout } = await run('tar', ['-tf', join(src, 'tree.tar')]);
      assert.deepEqual(
        stdout.trim().split('\n').sort(),
        ['tree/', 'tree/b/', 'tree/b/two', 'tree/link', 'tree/one'].sort(),
      );
      const ls = await run('ls', ['-l', join(viaUs, 'tree')]);
      assert.match(ls.stdout, /70000 .* one/);
      assert.match(ls.stdout, /link -> one/);
      assert.equal(sha256(await fsp.readFile(join(viaUs, 'tree', 'one'))), sha256(pattern(70_000, 1)));
      assert.equal(sha256(await fsp.readFile(join(viaRef, 'tree', 'b', 'two'))), sha256(pattern(5, 2)));
    } finally {
      await fsp.rm(src, { recursive: true, force: true });
    }
  });
});

describe('tsafs mount: callbacks', () => {
  test("another client's change is seen through the mount within a second", async () => {
    const p = 'watched';
    await fsp.writeFile(join(viaRef, p), 'v1');
    await eventually(async () => assert.equal(await fsp.readFile(join(viaUs, p), 'utf8'), 'v1'), 30_000);
    // Cached by the kernel now (60 s attribute and entry timeouts). afsd.fuse stores on close.
    await fsp.writeFile(join(viaRef, p), 'version two');
    await fsp.writeFile(join(viaRef, 'appeared'), 'x');
    // The change reaches the file server some time after close() returns (afsd.fuse stores in the
    // background); wait for the server to hold it, then time what the mount shows.
    await eventually(async () => {
      const st = await client.fs.stat(`${dir.path}/appeared`);
      assert.ok(st.isFile());
    }, 60_000);
    const t0 = Date.now();
    await eventually(async () => {
      assert.equal(await fsp.readFile(join(viaUs, p), 'utf8'), 'version two');
      assert.ok((await fsp.readdir(viaUs)).includes('appeared'));
    }, 5000);
    assert.ok(Date.now() - t0 < 1000, `seen after ${Date.now() - t0} ms`);
  });
});

describe('tsafs mount: lifecycle', () => {
  test('the CLI mounts, a kill -9 leaves a dead mount, the next tsafs mount recovers it', async () => {
    const mp = await fsp.mkdtemp(join(tmpdir(), 'tsafs-cli-'));
    const cli = join(REPO_ROOT, 'dist/src/cli/main.js');
    const args = [cli, '--cellservdb', env.cellServDb, '--cell', env.cell, '--localauth', 'mount'];
    const start = () =>
      new Promise<ReturnType<typeof spawn>>((resolve, reject) => {
        const child = spawn(process.execPath, [...args, mp, '--foreground'], {
          stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        });
        child.once('message', () => resolve(child));
        child.once('exit', (code) => reject(new Error(`tsafs mount exited ${code}`)));
      });
    try {
      const first = await start();
      assert.ok((await fsp.readdir(mp)).includes(env.cell));
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      assert.equal(await isDeadMount(mp), true);
      const second = await start();
      assert.ok((await fsp.readdir(mp)).includes(env.cell));
      // SIGTERM unmounts cleanly: the point is an empty local directory again.
      second.kill('SIGTERM');
      const code = await new Promise((r) => second.once('exit', r));
      assert.equal(code, 0);
      assert.deepEqual(await fsp.readdir(mp), []);
    } finally {
      await run('umount', ['-l', mp]).catch(() => {});
      await fsp.rmdir(mp).catch(() => {});
    }
  });

  test('close() unmounts with a file still open; the open file then fails, nothing hangs', async () => {
    const c2 = adminClient(env);
    const mp = await fsp.mkdtemp(join(tmpdir(), 'tsafs-open-'));
    const f2 = new AfsFuse(c2, mp);
    await f2.start();
    try {
      const p = join(mp, dir.path.slice(client.mount.length), 'held');
      await fsp.writeFile(p, 'held open');
      const fh = await fsp.open(p, 'r');
      await f2.close();
      await assert.rejects(fh.read(Buffer.alloc(4), 0, 4, 0), { code: 'ENOTCONN' });
      await fh.close().catch(() => {});
      assert.deepEqual(await fsp.readdir(mp), []);
    } finally {
      await f2.close();
      await c2.close();
      await fsp.rmdir(mp).catch(() => {});
    }
  });
});
