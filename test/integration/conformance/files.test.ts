// File data and names: readFile, writeFile, appendFile, copyFile, cp, truncate, rename, link,
// symlink, readlink, unlink — node:fs/promises' contract (its docs and test/parallel/
// test-fs-promises-writefile.js, test-fs-promises-readfile.js, test-fs-copyfile.js, test-fs-cp.mjs,
// test-fs-truncate.js, test-fs-rename-*.js, test-fs-link.js, test-fs-symlink.js), each case on AFS
// and on a local disk.
import { Readable } from 'node:stream';
import { conformanceHarness, same } from './harness.js';

const h = conformanceHarness('conf-files');
type E = { code: string; syscall?: string; path?: string; dest?: string };
const shape = (e: E) => [e.code, e.syscall, e.path, e.dest];

same(h, 'writeFile/readFile: strings in encodings, bytes, and what comes back', async ({ fs, p }) => {
  await fs.writeFile(p('a'), 'héllo');
  await fs.writeFile(p('b'), '68656c6c6f', 'hex');
  await fs.writeFile(p('c'), new Uint8Array([1, 2, 3]));
  await fs.writeFile(p('d'), 'aGk=', { encoding: 'base64' });
  return [
    await fs.readFile(p('a'), 'utf8'),
    await fs.readFile(p('b'), { encoding: 'latin1' }),
    await fs.readFile(p('c')),
    await fs.readFile(p('d'), 'utf8'),
    await fs.readFile(p('a'), 'base64'),
  ];
});

same(h, 'writeFile takes an iterable, an async iterable and a stream', async ({ fs, p }) => {
  await fs.writeFile(p('it'), ['a', 'b', Buffer.from('c')]);
  await fs.writeFile(
    p('ait'),
    (async function* () {
      yield 'x';
      yield Buffer.from('y');
    })(),
  );
  await fs.writeFile(p('st'), Readable.from(['s', 't', 'r']));
  return [
    await fs.readFile(p('it'), 'utf8'),
    await fs.readFile(p('ait'), 'utf8'),
    await fs.readFile(p('st'), 'utf8'),
  ];
});

same(
  h,
  'writeFile with flag wx refuses an existing file; readFile of a directory is EISDIR',
  async ({ fs, p }) => {
    await fs.writeFile(p('f'), '1');
    const a = await fs.writeFile(p('f'), '2', { flag: 'wx' }).catch(shape);
    const b = await fs.readFile(p('')).catch((e: E) => [e.code, e.syscall]);
    const c = await fs.readFile(p('missing')).catch(shape);
    return [a, b, c, await fs.readFile(p('f'), 'utf8')];
  },
);

same(h, 'writeFile reads its options at call time', async ({ fs, p }) => {
  const o = { encoding: 'hex' as BufferEncoding };
  const w = fs.writeFile(p('f'), '6869', o);
  o.encoding = 'utf8';
  await w;
  return fs.readFile(p('f'), 'utf8');
});

same(
  h,
  'readFile: Node 20 reads the encoding when the data is in; client.fs at call time (issue 10)',
  async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'hi');
    const o = { encoding: 'utf8' as BufferEncoding };
    const r = fs.readFile(p('f'), o);
    o.encoding = 'base64';
    return r;
  },
  { afs: () => ({ value: 'hi' }) },
);

same(h, 'appendFile appends, creating the file', async ({ fs, p }) => {
  await fs.appendFile(p('f'), 'a');
  await fs.appendFile(p('f'), Buffer.from('b'));
  await fs.appendFile(p('f'), '63', 'hex');
  return fs.readFile(p('f'), 'utf8');
});

same(h, 'readFile and writeFile through a FileHandle', async ({ fs, p }) => {
  await fs.writeFile(p('f'), 'content');
  const fh = await fs.open(p('f'), 'r+');
  try {
    const a = await fs.readFile(fh, 'utf8');
    return a;
  } finally {
    await fh.close();
  }
});

same(
  h,
  'copyFile copies bytes and mode; COPYFILE_EXCL refuses an existing dest; ENOENT names both',
  async ({ fs, p }) => {
    await fs.writeFile(p('src'), 'data', { mode: 0o640 });
    await fs.copyFile(p('src'), p('dst'));
    const st = await fs.stat(p('dst'));
    const excl = await fs.copyFile(p('src'), p('dst'), fs.constants.COPYFILE_EXCL).catch(shape);
    const missing = await fs.copyFile(p('nope'), p('x')).catch(shape);
    const badMode = await fs.copyFile(p('src'), p('y'), 8).catch((e: E) => e.code);
    return [await fs.readFile(p('dst'), 'utf8'), st.mode & 0o777, excl, missing, badMode];
  },
);

same(h, 'cp copies a file, and a tree with recursive', async ({ fs, p }) => {
  await fs.writeFile(p('f'), 'one');
  await fs.cp(p('f'), p('g'));
  await fs.mkdir(p('t/s'), { recursive: true });
  await fs.writeFile(p('t/s/x'), 'deep');
  await fs.symlink('s/x', p('t/l'));
  await fs.cp(p('t'), p('u'), { recursive: true });
  return [
    await fs.readFile(p('g'), 'utf8'),
    (await fs.readdir(p('u'), { recursive: true })).sort(),
    await fs.readFile(p('u/s/x'), 'utf8'),
    await fs.readlink(p('u/l')),
  ];
});

same(
  h,
  'cp refuses: a directory without recursive, into itself, over an existing file with errorOnExist',
  async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.writeFile(p('f'), '1');
    await fs.writeFile(p('g'), '2');
    return [
      await fs.cp(p('d'), p('e')).catch((e: E) => e.code),
      await fs.cp(p('d'), p('d/sub'), { recursive: true }).catch((e: E) => e.code),
      await fs.cp(p('f'), p('g'), { force: false, errorOnExist: true }).catch((e: E) => e.code),
      await fs.cp(p('f'), p('g'), { force: false }),
      await fs.readFile(p('g'), 'utf8'),
      await fs.cp(p('f'), p('d')).catch((e: E) => e.code),
      await fs.cp(p('missing'), p('x')).catch((e: E) => e.code),
    ];
  },
);

same(h, 'truncate shortens and extends with zeros; a directory is EISDIR', async ({ fs, p }) => {
  await fs.writeFile(p('f'), 'abcdef');
  await fs.truncate(p('f'), 3);
  const a = await fs.readFile(p('f'), 'latin1');
  await fs.truncate(p('f'), 5);
  const b = await fs.readFile(p('f'), 'latin1');
  await fs.truncate(p('f'));
  return [a, b, (await fs.stat(p('f'))).size, await fs.truncate(p('f'), 1.5).catch((e: E) => e.code)];
});

same(h, 'rename moves and replaces; a missing source is ENOENT naming both paths', async ({ fs, p }) => {
  await fs.writeFile(p('a'), 'A');
  await fs.writeFile(p('b'), 'B');
  await fs.rename(p('a'), p('b'));
  return [await fs.readFile(p('b'), 'utf8'), await fs.rename(p('a'), p('c')).catch(shape)];
});

same(h, 'link within a directory shares the file; an existing name is EEXIST', async ({ fs, p }) => {
  await fs.writeFile(p('a'), 'A');
  await fs.link(p('a'), p('b'));
  await fs.appendFile(p('b'), '+');
  return [
    await fs.readFile(p('a'), 'utf8'),
    (await fs.stat(p('a'))).nlink,
    await fs.link(p('a'), p('b')).catch(shape),
  ];
});

same(
  h,
  'link into another directory: AFS has hard links only within one directory (EXDEV)',
  async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.writeFile(p('a'), 'A');
    return fs.link(p('a'), p('d/b')).catch(shape);
  },
  { afs: () => ({ value: ['EXDEV', 'link', '<d>/a', '<d>/d/b'] }) },
);

same(
  h,
  'symlink and readlink; readlink of a file is EINVAL; unlink of a missing path ENOENT',
  async ({ fs, p }) => {
    await fs.writeFile(p('t'), 'x');
    await fs.symlink('t', p('l'));
    await fs.symlink('nowhere', p('dangling'));
    return [
      await fs.readlink(p('l')),
      await fs.readlink(p('l'), { encoding: 'buffer' }),
      await fs.readFile(p('l'), 'utf8'),
      (await fs.lstat(p('dangling'))).isSymbolicLink(),
      await fs.readlink(p('t')).catch(shape),
      await fs.symlink('t', p('l')).catch(shape),
      await fs.unlink(p('none')).catch(shape),
    ];
  },
);
