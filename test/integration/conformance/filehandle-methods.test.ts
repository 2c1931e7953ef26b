// The rest of FileHandle (issue 10: writeFile, appendFile, chmod, chown, utimes, sync, datasync,
// truncate, stat({ bigint }), the 'close' event, fd, EBADF after close, Symbol.asyncDispose), each
// case on AFS and on a local disk with the same outcome; AFS bytes checked through afsd.fuse.
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { parseRights } from '../../../src/afs/acl.js';
import { localAuthClient } from '../helpers/auth.js';
import { eventually } from '../helpers/files.js';
import { conformance, conformanceSides, type FileHandle, outcome, withFile } from './filehandle-harness.js';

const sides = conformanceSides('fh-methods');
const same = (name: string, fn: Parameters<typeof conformance>[2]) => conformance(sides, name, fn);

same('writeFile writes from the current position, without truncating', (s) =>
  withFile(s, 'wf', '0123456789', 'r+', async (fh) => {
    await fh.read(Buffer.alloc(3), 0, 3, null);
    await fh.writeFile('ab');
    await fh.writeFile('4142', 'hex');
    await fh.writeFile('Q', { flag: 'a' } as never); // a handle's flags are its own
    await fh.appendFile('Z'); // the same as writeFile on a handle
    return (await fh.read(Buffer.alloc(10), 0, 10, null)).bytesRead;
  }),
);

same('writeFile takes typed arrays, iterables, async iterables and streams', (s) =>
  withFile(s, 'wf-iter', '', 'w+', async (fh) => {
    await fh.writeFile(new Uint16Array([0x4241]) as never);
    await fh.writeFile(['c', Buffer.from('d'), 'é'] as never);
    await fh.writeFile(
      (async function* () {
        yield 'e';
        yield Buffer.from('f');
      })() as never,
    );
    await fh.writeFile(Readable.from(['g', 'h']) as never);
    return 'ok';
  }),
);

same('writeFile refuses what is not data', (s) =>
  withFile(s, 'wf-bad', 'x', 'r+', async (fh) =>
    Promise.all([
      outcome(() => fh.writeFile(5 as never)),
      outcome(() => fh.writeFile({} as never)),
      outcome(() => fh.appendFile(null as never)),
      outcome(() => fh.writeFile('x', { signal: AbortSignal.abort() })),
    ]),
  ),
);

same('truncate grows and shrinks, clamps negative lengths, checks its argument', (s) =>
  withFile(s, 'trunc', '0123456789', 'r+', async (fh) => {
    await fh.truncate(4);
    const a = (await fh.stat()).size;
    await fh.truncate(6);
    const b = (await fh.read(Buffer.alloc(8), 0, 8, 0)).bytesRead;
    await fh.truncate(-1);
    const c = (await fh.stat()).size;
    await fh.write('xyz', 0);
    await fh.truncate();
    const d = (await fh.stat()).size;
    await fh.write('kept', 0);
    const bad = await Promise.all([
      outcome(() => fh.truncate(1.5)),
      outcome(() => fh.truncate('1' as never)),
      outcome(() => fh.truncate(2 ** 53)),
    ]);
    return [a, b, c, d, bad];
  }),
);

same('truncate of a read-only handle fails', (s) =>
  withFile(s, 'trunc-ro', '0123', 'r', async (fh) => outcome(() => fh.truncate(1))),
);

same('stat and stat({ bigint: true })', (s) =>
  withFile(s, 'stat', '0123456789', 'r', async (fh) => {
    const a = await fh.stat();
    const b = await fh.stat({ bigint: true });
    return [a.size, a.isFile(), a.isDirectory(), typeof b.size, b.size, typeof b.mtimeNs, b.isFile()];
  }),
);

same('chmod takes numbers and octal strings and checks them', (s) =>
  withFile(s, 'chmod', 'x', 'r', async (fh) => {
    await fh.chmod(0o640);
    const a = (await fh.stat()).mode & 0o7777;
    await fh.chmod('600');
    const b = (await fh.stat()).mode & 0o7777;
    const bad = await Promise.all([
      outcome(() => fh.chmod('abc' as never)),
      outcome(() => fh.chmod(undefined as never)),
      outcome(() => fh.chmod(-1)),
    ]);
    return [a.toString(8), b.toString(8), bad];
  }),
);

same('chown checks its ids; -1 keeps them', (s) =>
  withFile(s, 'chown', 'x', 'r+', async (fh) => {
    const before = await fh.stat();
    await fh.chown(-1, -1);
    const after = await fh.stat();
    const bad = await Promise.all([
      outcome(() => fh.chown('a' as never, 0)),
      outcome(() => fh.chown(-2, 0)),
      outcome(() => fh.chown(0, 2 ** 32)),
    ]);
    return [before.uid === after.uid && before.gid === after.gid, bad];
  }),
);

same('utimes sets the modification time from numbers, numeric strings and Dates', (s) =>
  withFile(s, 'utimes', 'x', 'r+', async (fh) => {
    await fh.utimes(1000, 2000);
    const a = (await fh.stat()).mtimeMs;
    await fh.utimes('1000', '3000');
    const b = (await fh.stat()).mtimeMs;
    await fh.utimes(new Date(5000), new Date(6_000_000));
    const c = (await fh.stat()).mtimeMs;
    const bad = await Promise.all([
      outcome(() => fh.utimes('x', 0)),
      outcome(() => fh.utimes(0, Number.NaN)),
    ]);
    return [a, b, c, bad];
  }),
);

same('sync and datasync resolve on every kind of handle', (s) =>
  withFile(s, 'sync', 'x', 'r', async (fh) => [await fh.sync(), await fh.datasync()]),
);

same("a FileHandle is an EventEmitter: 'close' once, fd -1 after, closing twice is fine", async (s) => {
  const p = s.path('events');
  await s.fs.writeFile(p, 'abc');
  const fh = await s.fs.open(p, 'r');
  let closes = 0;
  (fh as unknown as NodeJS.EventEmitter).on('close', () => closes++);
  const fd = fh.fd;
  const closing = fh.close();
  const atOnce = [closes, fh.fd];
  await closing;
  await fh.close();
  return [typeof fd, Number.isInteger(fd) && fd >= 0, atOnce, closes, fh.fd];
});

same('Symbol.asyncDispose closes the handle', async (s) => {
  const p = s.path('dispose');
  await s.fs.writeFile(p, 'abc');
  const fh = await s.fs.open(p, 'r');
  await (fh as unknown as AsyncDisposable)[Symbol.asyncDispose]();
  return [fh.fd, await outcome(() => fh.stat())];
});

same('every operation on a closed handle fails like Node', async (s) => {
  const p = s.path('closed');
  await s.fs.writeFile(p, 'abc');
  const fh = await s.fs.open(p, 'r+');
  await fh.close();
  const ops: (() => unknown)[] = [
    () => fh.stat(),
    () => fh.readFile(),
    () => fh.truncate(),
    () => fh.appendFile('x'),
    () => fh.writeFile('x'),
    () => fh.chmod(0o644),
    () => fh.chown(0, 0),
    () => fh.utimes(0, 0),
    () => fh.sync(),
    () => fh.datasync(),
    () => fh.close(),
    () => fh.readLines(),
    () => fh.createReadStream(),
    () => fh.createWriteStream(),
    () => fh.readableWebStream(),
  ];
  const got = [];
  for (const op of ops) got.push(await outcome(async () => op()));
  return [
    got.map((o) => ((o as { value?: unknown }).value === undefined ? o : 'value')),
    await s.contents(p),
  ];
});

// ---------------------------------------------------------------- AFS only

test('sync() returns once a write issued before it is stored (seen through the mount)', async () => {
  const p = sides.afs.path('sync-fuse');
  const fh = (await sides.client.fs.open(p, 'w')) as unknown as FileHandle;
  try {
    const pending = fh.write('stored before sync');
    await fh.sync();
    assert.equal((await pending).bytesWritten, 18);
    await eventually(async () => assert.equal((await fsp.readFile(p)).toString(), 'stored before sync'));
  } finally {
    await fh.close();
  }
});

test('close() waits for the operations already started', async () => {
  const p = sides.afs.path('close-waits');
  const fh = await sides.client.fs.open(p, 'w+');
  let written = false;
  const write = fh.write(Buffer.alloc(1 << 20, 0x61), 0, 1 << 20, 0).then(() => {
    written = true;
  });
  await fh.close();
  assert.equal(written, true, 'the write settled before close() resolved');
  await write;
  assert.equal((await sides.client.fs.stat(p)).size, 1 << 20);
});

test('a handle fd is no descriptor node:fs can use: it fails with EBADF', async () => {
  const p = sides.afs.path('fd');
  const fh = await sides.client.fs.open(p, 'w');
  try {
    const { fstatSync } = await import('node:fs');
    assert.throws(() => fstatSync(fh.fd), { code: 'EBADF' });
  } finally {
    await fh.close();
  }
});

test('utimes keeps whole seconds on AFS, and refuses times before 1970 (AFS cannot hold them)', async () => {
  const p = sides.afs.path('utimes-afs');
  const fh = await sides.client.fs.open(p, 'w');
  try {
    await fh.utimes(0, 1234.75);
    assert.equal((await fh.stat()).mtimeMs, 1234000);
    await assert.rejects(fh.utimes(0, new Date(-5000)), { code: 'EINVAL', syscall: 'futime' });
  } finally {
    await fh.close();
  }
});

test('chown by a user who is not an administrator fails with EPERM, as chown(2) says', async () => {
  const env = sides.scratch.env;
  const dir = sides.afs.path('chown-user');
  await sides.client.fs.mkdir(dir);
  await sides.client.fs.setAcl(dir, {
    positive: [
      { name: 'system:administrators', rights: parseRights('all') },
      { name: 'system:authuser', rights: parseRights('rlidwk') },
    ],
    negative: [],
  });
  const user = localAuthClient(env, 'crypt', 'tsafsuser');
  try {
    const p = `${dir}/mine`;
    await user.fs.writeFile(p, 'x');
    const fh = await user.fs.open(p, 'r+');
    try {
      const before = await fh.stat();
      await assert.rejects(fh.chown(before.uid + 1, -1), { code: 'EPERM', syscall: 'fchown' });
      assert.equal((await fh.stat()).uid, before.uid);
      await fh.chown(-1, -1); // nothing asked: nothing refused
    } finally {
      await fh.close();
    }
  } finally {
    await user.close();
  }
});

same('sync after writes keeps the data, the length and the modification time', (s) =>
  withFile(s, 'sync-dirty', '0123', 'r+', async (fh) => {
    await fh.write('abcdef', 2);
    await fh.utimes(1000, 2000);
    await fh.sync();
    await fh.datasync();
    const st = await fh.stat();
    return [st.size, st.mtimeMs];
  }),
);
