// Issue 4 acceptance, errors: each failure reaches the caller as an AfsError with the Node code a
// node:fs user expects (and the AFS name and number when the file server sent the abort).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AfsClient } from '../../src/client.js';
import { type CellEnv, cellEnv } from './helpers/cell.js';
import { adminClient, clientFor, isAfsError, type Scratch, scratchDir } from './helpers/files.js';

let env: CellEnv;
let admin: AfsClient;
let anon: AfsClient;
let dir: Scratch;

before(async () => {
  env = await cellEnv();
  admin = adminClient(env);
  anon = clientFor(env, { auth: 'anonymous' });
  dir = await scratchDir(admin, 'files-errors');
  await admin.fs.writeFile(`${dir.path}/file`, 'data');
  await admin.fs.writeFile(`${dir.path}/file2`, 'data2');
  await admin.fs.mkdir(`${dir.path}/full`);
  await admin.fs.writeFile(`${dir.path}/full/inside`, 'x');
  await admin.fs.mkdir(`${dir.path}/empty`);
});
after(async () => {
  await dir?.remove();
  await anon?.close();
  await admin?.close();
});

test('a missing path is ENOENT, whether the walk or the file server finds it missing', async () => {
  const missing = `${dir.path}/no-such`;
  await assert.rejects(admin.fs.stat(missing), isAfsError('ENOENT'));
  await assert.rejects(admin.fs.readFile(missing), isAfsError('ENOENT'));
  await assert.rejects(admin.fs.readdir(`${missing}/deeper`), isAfsError('ENOENT'));
  await assert.rejects(admin.fs.open(missing, 'r'), isAfsError('ENOENT'));
  await assert.rejects(admin.fs.unlink(missing), isAfsError('ENOENT', 'UAENOENT'));
  await assert.rejects(admin.fs.rmdir(missing), isAfsError('ENOENT', 'UAENOENT'));
  await assert.rejects(admin.fs.rename(missing, `${dir.path}/other`), isAfsError('ENOENT', 'UAENOENT'));
  await assert.rejects(admin.fs.stat(`${env.mount}/no.such.cell`), isAfsError('ENOENT'));
  await admin.fs.rm(missing, { force: true });
  // The error carries what node:fs errors carry.
  const e = await admin.fs.unlink(missing).catch((x: unknown) => x);
  assert.ok(e instanceof Error);
  const err = e as { errno?: number; syscall?: string; path?: string; afsCode?: number };
  assert.equal(err.errno, -2);
  assert.equal(err.syscall, 'unlink');
  assert.equal(err.path, missing);
  assert.equal(typeof err.afsCode, 'number');
});

test('the private directory refuses an anonymous caller with EACCES', async () => {
  await assert.rejects(anon.fs.readdir(env.privateDir), isAfsError('EACCES'));
  await assert.rejects(anon.fs.writeFile(`${env.privateDir}/anon-${process.pid}`, 'x'), isAfsError('EACCES'));
  await assert.rejects(anon.fs.mkdir(`${env.privateDir}/anon-${process.pid}`), isAfsError('EACCES'));
  // The admin may list it: the refusal was about who asked.
  assert.ok(Array.isArray(await admin.fs.readdir(env.privateDir)));
});

test('mount points need the administer right: an anonymous mkmount is EACCES', async () => {
  await assert.rejects(anon.fs.mkmount(`${dir.path}/anon-mnt`, env.roVolume), isAfsError('EACCES'));
});

test('writing into the read-only volume is EROFS', async () => {
  await assert.rejects(admin.fs.writeFile(`${env.roDir}/rofile-${process.pid}`, 'x'), isAfsError('EROFS'));
  await assert.rejects(admin.fs.mkdir(`${env.roDir}/rodir-${process.pid}`), isAfsError('EROFS'));
  const existing = (await admin.fs.readdir(env.roDir))[0];
  assert.ok(existing, 'the RO volume holds a file');
  await assert.rejects(admin.fs.unlink(`${env.roDir}/${existing}`), isAfsError('EROFS'));
  await assert.rejects(admin.fs.chmod(`${env.roDir}/${existing}`, 0o600), isAfsError('EROFS'));
});

test('rmdir of a non-empty directory is ENOTEMPTY', async () => {
  await assert.rejects(admin.fs.rmdir(`${dir.path}/full`), isAfsError('ENOTEMPTY', 'UAEEXIST'));
  await assert.rejects(admin.fs.rm(`${env.rwDir}/${dir.name}/full/..`, { recursive: false }), {
    code: 'ERR_FS_EISDIR',
  });
  assert.ok((await admin.fs.stat(`${dir.path}/full/inside`)).isFile());
});

test('creating what exists is EEXIST', async () => {
  await assert.rejects(admin.fs.mkdir(`${dir.path}/full`), isAfsError('EEXIST'));
  await assert.rejects(admin.fs.mkdir(`${dir.path}/file`), isAfsError('EEXIST'));
  await assert.rejects(admin.fs.writeFile(`${dir.path}/file`, 'x', { flag: 'wx' }), isAfsError('EEXIST'));
  await assert.rejects(admin.fs.open(`${dir.path}/file`, 'wx'), isAfsError('EEXIST'));
  await assert.rejects(admin.fs.symlink('t', `${dir.path}/file`), isAfsError('EEXIST'));
  await assert.rejects(admin.fs.link(`${dir.path}/file`, `${dir.path}/file2`), isAfsError('EEXIST'));
  assert.equal(await admin.fs.readFile(`${dir.path}/file`, 'utf8'), 'data', 'nothing was overwritten');
  // mkdir -p over an existing directory is not an error, as in node:fs.
  assert.equal(await admin.fs.mkdir(`${dir.path}/full`, { recursive: true }), undefined);
});

test('file operations on a directory are EISDIR', async () => {
  await assert.rejects(admin.fs.readFile(`${dir.path}/full`), isAfsError('EISDIR'));
  await assert.rejects(admin.fs.open(`${dir.path}/full`, 'r'), isAfsError('EISDIR'));
  await assert.rejects(admin.fs.writeFile(`${dir.path}/full`, 'x'), isAfsError('EISDIR'));
  await assert.rejects(admin.fs.unlink(`${dir.path}/empty`), isAfsError('EISDIR'));
  await assert.rejects(admin.fs.rm(`${dir.path}/empty`), { code: 'ERR_FS_EISDIR' });
});

test('directory operations on a file are ENOTDIR', async () => {
  await assert.rejects(admin.fs.readdir(`${dir.path}/file`), isAfsError('ENOTDIR'));
  await assert.rejects(admin.fs.stat(`${dir.path}/file/below`), isAfsError('ENOTDIR'));
  await assert.rejects(admin.fs.writeFile(`${dir.path}/file/below`, 'x'), isAfsError('ENOTDIR'));
  await assert.rejects(admin.fs.rmdir(`${dir.path}/file`), isAfsError('ENOTDIR'));
  await assert.rejects(admin.fs.mkdir(`${dir.path}/file/a/b`, { recursive: true }), isAfsError('ENOTDIR'));
});

test('rename and link across volumes are EXDEV, and nothing moves', async () => {
  const target = `${env.privateDir}/xdev-${process.pid}`;
  await assert.rejects(admin.fs.rename(`${dir.path}/file`, target), isAfsError('EXDEV'));
  await assert.rejects(admin.fs.link(`${dir.path}/file`, target), isAfsError('EXDEV'));
  await assert.rejects(admin.fs.rename(`${dir.path}/file`, `${env.roDir}/xdev`), isAfsError('EXDEV'));
  // AFS hard links stay within one directory: the file server refuses others with EXDEV.
  await assert.rejects(
    admin.fs.link(`${dir.path}/file`, `${dir.path}/full/hard`),
    isAfsError('EXDEV', 'UAEXDEV'),
  );
  assert.equal(await admin.fs.readFile(`${dir.path}/file`, 'utf8'), 'data');
  await assert.rejects(admin.fs.stat(target), isAfsError('ENOENT'));
});

test('readlink of a file is EINVAL; a symlink loop is ELOOP', async () => {
  await assert.rejects(admin.fs.readlink(`${dir.path}/file`), isAfsError('EINVAL'));
  await admin.fs.symlink('loop-b', `${dir.path}/loop-a`);
  await admin.fs.symlink('loop-a', `${dir.path}/loop-b`);
  await assert.rejects(admin.fs.stat(`${dir.path}/loop-a`), isAfsError('ELOOP'));
  // lstat does not follow: the link itself is there.
  assert.ok((await admin.fs.lstat(`${dir.path}/loop-a`)).isSymbolicLink());
});

test('an aborted signal stops a call with AbortError', async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(admin.fs.readdir(dir.path, { signal: ac.signal }), { name: 'AbortError' });
});
