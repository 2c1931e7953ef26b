// Directories: mkdir, readdir, rmdir, rm, opendir, mkdtemp, realpath — node:fs/promises' contract
// (its docs and test/parallel/test-fs-mkdir.js, test-fs-readdir*.js, test-fs-rm.js,
// test-fs-opendir.js, test-fs-realpath.js), each case on AFS and on a local disk.
import { conformanceHarness, same } from './harness.js';

const h = conformanceHarness('conf-dirs');

same(h, 'mkdir makes a directory; again is EEXIST with syscall mkdir', async ({ fs, p }) => {
  await fs.mkdir(p('a'));
  const st = await fs.stat(p('a'));
  await fs.mkdir(p('a')).catch((e: unknown) => {
    throw e;
  });
  return st;
});

same(h, 'mkdir recursive returns the first directory made, undefined when none', async ({ fs, p }) => [
  await fs.mkdir(p('x/y/z'), { recursive: true }),
  await fs.mkdir(p('x/y/z'), { recursive: true }),
  await fs.mkdir(p('x/y/w'), { recursive: true }),
]);

same(h, 'mkdir recursive of an existing file is EEXIST, through a file ENOTDIR', async ({ fs, p }) => {
  await fs.writeFile(p('f'), 'x');
  const r: unknown[] = [];
  for (const t of [p('f'), p('f/sub')])
    r.push(
      await fs
        .mkdir(t, { recursive: true })
        .catch((e: { code: string; syscall: string }) => [e.code, e.syscall]),
    );
  return r;
});

same(h, 'mkdir with a numeric or string mode', async ({ fs, p }) => {
  await fs.mkdir(p('m1'), 0o700);
  await fs.mkdir(p('m2'), { mode: '750' } as never);
  return [(await fs.stat(p('m1'))).mode & 0o777, (await fs.stat(p('m2'))).mode & 0o777];
});

same(h, 'mkdir of a missing parent is ENOENT', ({ fs, p }) => fs.mkdir(p('no/such')));

same(
  h,
  'readdir lists names; withFileTypes gives Dirents; ENOTDIR on a file, ENOENT when missing',
  async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.writeFile(p('d/f'), 'x');
    await fs.mkdir(p('d/s'));
    await fs.symlink('f', p('d/l'));
    const names = (await fs.readdir(p('d'))).sort();
    const typed = (await fs.readdir(p('d'), { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    const buf = (await fs.readdir(p('d'), { encoding: 'buffer' }))
      .map((b) => Buffer.isBuffer(b))
      .every(Boolean);
    const e1 = await fs
      .readdir(p('d/f'))
      .catch((e: { code: string; syscall: string }) => [e.code, e.syscall]);
    const e2 = await fs
      .readdir(p('missing'))
      .catch((e: { code: string; syscall: string }) => [e.code, e.syscall]);
    return { names, typed, buf, e1, e2 };
  },
);

same(h, 'readdir recursive lists every entry below, with relative paths', async ({ fs, p }) => {
  await fs.mkdir(p('t/a/b'), { recursive: true });
  await fs.writeFile(p('t/a/b/f'), '1');
  await fs.writeFile(p('t/top'), '2');
  const flat = (await fs.readdir(p('t'), { recursive: true })).sort();
  const typed = (await fs.readdir(p('t'), { recursive: true, withFileTypes: true }))
    .map((d) => `${d.parentPath}|${d.name}|${d.isDirectory()}`)
    .sort();
  return { flat, typed };
});

same(h, 'rmdir: ENOTEMPTY with entries, ENOTDIR on a file, ENOENT when missing', async ({ fs, p }) => {
  await fs.mkdir(p('full'));
  await fs.writeFile(p('full/f'), 'x');
  await fs.writeFile(p('file'), 'x');
  const r: unknown[] = [];
  for (const t of [p('full'), p('file'), p('none')])
    r.push(
      await fs
        .rmdir(t)
        .catch((e: { code: string; syscall: string; path: string }) => [e.code, e.syscall, e.path]),
    );
  await fs.mkdir(p('empty'));
  r.push(await fs.rmdir(p('empty')));
  return r;
});

same(
  h,
  'rm: a directory without recursive is ERR_FS_EISDIR; force ignores a missing path',
  async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    const a = await fs.rm(p('d')).catch((e: { code: string; syscall: string }) => [e.code, e.syscall]);
    const b = await fs.rm(p('missing'), { force: true });
    const c = await fs.rm(p('missing')).catch((e: { code: string; syscall: string }) => [e.code, e.syscall]);
    return [a, b, c];
  },
);

same(h, 'rm recursive removes a tree with files, links and empty directories', async ({ fs, p }) => {
  await fs.mkdir(p('t/a/b/c'), { recursive: true });
  await fs.writeFile(p('t/a/f'), 'x');
  await fs.symlink('a', p('t/l'));
  await fs.rm(p('t'), { recursive: true });
  return fs.readdir(p(''));
});

same(h, 'rm rejects bad options before touching anything', async ({ fs, p }) => {
  await fs.mkdir(p('d'));
  const r: unknown[] = [];
  for (const o of [{ recursive: 'yes' }, { force: 1 }, { maxRetries: -1 }, { retryDelay: 1.5 }])
    r.push(await fs.rm(p('d'), o as never).catch((e: { code: string }) => e.code));
  r.push((await fs.stat(p('d'))).isDirectory());
  return r;
});

same(
  h,
  'opendir: read() one at a time, null at the end; async iteration; close twice is ERR_DIR_CLOSED',
  async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    for (const n of ['a', 'b', 'c']) await fs.writeFile(p(`d/${n}`), n);
    const dir = await fs.opendir(p('d'));
    const read: string[] = [];
    for (let e = await dir.read(); e !== null; e = await dir.read()) read.push(e.name);
    await dir.close();
    const again = await dir.close().catch((e: { code: string }) => e.code);
    let afterClose: unknown;
    try {
      afterClose = await dir.read();
    } catch (e) {
      afterClose = `threw ${(e as { code: string }).code}`;
    }
    const iterated: string[] = [];
    for await (const e of await fs.opendir(p('d'))) iterated.push(e.name);
    const onFile = await fs
      .opendir(p('d/a'))
      .catch((e: { code: string; syscall: string }) => [e.code, e.syscall]);
    const missing = await fs
      .opendir(p('none'))
      .catch((e: { code: string; syscall: string }) => [e.code, e.syscall]);
    return {
      read: read.sort(),
      again,
      afterClose,
      iterated: iterated.sort(),
      path: dir.path,
      onFile,
      missing,
    };
  },
);

same(h, 'mkdtemp makes a new directory named prefix + six characters', async ({ fs, p }) => {
  const a = await fs.mkdtemp(p('tmp-'));
  const b = await fs.mkdtemp(p('tmp-'));
  const st = await fs.stat(a);
  return [
    a !== b,
    a.length - p('tmp-').length,
    st.isDirectory(),
    st.mode & 0o777,
    /^[A-Za-z0-9]{6}$/.test(a.slice(-6)),
  ];
});

same(h, 'mkdtemp with a missing parent is ENOENT', ({ fs, p }) =>
  fs.mkdtemp(p('no/such/x-')).catch((e: { code: string; syscall: string }) => [e.code, e.syscall]),
);

same(h, 'realpath resolves links, "." and ".."; a missing path is ENOENT', async ({ fs, p }) => {
  await fs.mkdir(p('real/inner'), { recursive: true });
  await fs.symlink('real', p('link'));
  await fs.symlink('inner', p('real/rel'));
  return [
    await fs.realpath(p('link')),
    await fs.realpath(p('link/rel/../inner/.')),
    await fs.realpath(p('link'), { encoding: 'buffer' }),
    await fs.realpath(p('nope')).catch((e: { code: string; syscall: string }) => [e.code, e.syscall]),
  ];
});
