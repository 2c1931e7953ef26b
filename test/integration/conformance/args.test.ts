// Argument forms and validation as node:fs/promises has them (its docs; test/parallel/
// test-fs-promises.js, test-fs-promises-file-handle-*.js, test-fs-access.js, test-fs-mkdir.js,
// test-fs-readfile-*.js): URL and Buffer paths, numeric flags, string modes, bad arguments refused
// before any RPC with Node's codes, AbortSignals, methods used unbound.
import { pathToFileURL } from 'node:url';
import { conformanceHarness, same } from './harness.js';

const h = conformanceHarness('conf-args');
type E = { code: string; name?: string; syscall?: string };

same(h, 'paths as file: URLs and Buffers', async ({ fs, p }) => {
  await fs.writeFile(pathToFileURL(p('u')), 'url');
  await fs.writeFile(Buffer.from(p('b')), 'buf');
  return [
    await fs.readFile(pathToFileURL(p('b')), 'utf8'),
    await fs.readFile(Buffer.from(p('u')), 'utf8'),
    (await fs.stat(pathToFileURL(p('u')))).size,
    (await fs.readdir(pathToFileURL(p('')))).sort(),
    await fs.access(new URL('http://x/y')).catch((e: E) => e.code),
  ];
});

same(
  h,
  'bad path arguments are refused with ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE',
  async ({ fs, p }) => {
    const r: unknown[] = [];
    for (const bad of [123, {}, null, undefined, true])
      r.push(await fs.stat(bad as never).catch((e: E & Error) => [e.code, e instanceof TypeError]));
    r.push(await fs.stat(`${p('x')}\0y`).catch((e: E) => e.code));
    r.push(await fs.readFile(Buffer.from(`${p('x')}\0`)).catch((e: E) => e.code));
    return r;
  },
);

same(h, 'bad options and modes are refused before any change', async ({ fs, p }) => {
  await fs.writeFile(p('f'), 'x');
  return [
    await fs.readFile(p('f'), 42 as never).catch((e: E) => e.code),
    await fs.readFile(p('f'), 'bogus' as never).catch((e: E) => e.code),
    await fs.mkdir(p('d'), { recursive: 'yes' } as never).catch((e: E) => e.code),
    await fs.mkdir(p('d'), { mode: 'rwx' } as never).catch((e: E) => e.code),
    await fs.chmod(p('f'), 'abc' as never).catch((e: E) => e.code),
    await fs.chmod(p('f'), -1).catch((e: E) => e.code),
    await fs.access(p('f'), 8).catch((e: E) => e.code),
    await fs.access(p('f'), 'r' as never).catch((e: E) => e.code),
    await fs.open(p('f'), 'bogus').catch((e: E) => e.code),
    await fs.open(p('f'), {} as never).catch((e: E) => e.code),
    await fs.truncate(p('f'), 'a' as never).catch((e: E) => e.code),
    await fs.readdir(p(''), { withFileTypes: 1 } as never).catch((e: E) => e.code),
    await fs.copyFile(p('f'), p('g'), -1).catch((e: E) => e.code),
    await fs.utimes(p('f'), 'soon' as never, 0).catch((e: E) => e.code),
    await fs.chown(p('f'), 1.5, 0).catch((e: E) => e.code),
    await fs.symlink(p('f'), p('s'), 'nope' as never).catch((e: E) => e.code),
    await fs.readdir(p('')).then((n) => n.sort()),
  ];
});

same(h, 'numeric open flags and string modes', async ({ fs, p }) => {
  const { O_CREAT, O_WRONLY, O_RDONLY, O_EXCL, O_APPEND, O_RDWR, O_TRUNC } = fs.constants;
  const a = await fs.open(p('n'), O_CREAT | O_WRONLY, 0o600);
  await a.write('abc');
  await a.close();
  const b = await fs.open(p('n'), O_RDONLY);
  const text = String(await b.readFile());
  await b.close();
  const excl = await fs.open(p('n'), O_CREAT | O_EXCL | O_WRONLY).catch((e: E) => e.code);
  const c = await fs.open(p('n'), O_APPEND | O_WRONLY);
  await c.write('d');
  await c.close();
  const d = await fs.open(p('n'), O_RDWR | O_TRUNC);
  await d.close();
  const missing = await fs.open(p('m'), O_RDWR).catch((e: E) => [e.code, e.syscall]);
  await fs.chmod(p('n'), '640');
  const mode = (await fs.stat(p('n'))).mode & 0o777;
  await fs.chmod(p('n'), 0o604);
  return [text, excl, (await fs.stat(p('n'))).size, missing, mode, (await fs.stat(p('n'))).mode & 0o777];
});

same(h, 'methods work unbound and mapped', async ({ fs, p }) => {
  const { stat, writeFile, readFile } = fs;
  await writeFile(p('a'), '1');
  await writeFile(p('b'), '22');
  const sizes = (await Promise.all([p('a'), p('b')].map(stat as never))).map(
    (s) => (s as { size: number }).size,
  );
  return [sizes, await readFile(p('b'), 'utf8')];
});

same(h, 'an aborted signal rejects with AbortError, before and during a call', async ({ fs, p }) => {
  await fs.writeFile(p('f'), 'data');
  await fs.readFile(p('f')); // warm: the AFS answer can come from the cache
  const ac = new AbortController();
  ac.abort();
  const shape = (e: E) => [e.name, e.code];
  const r: unknown[] = [
    await fs.readFile(p('f'), { signal: ac.signal }).catch(shape),
    await fs.writeFile(p('g'), 'x', { signal: ac.signal }).catch(shape),
  ];
  const late = new AbortController();
  const pending = fs.readFile(p('f'), { signal: late.signal });
  late.abort();
  r.push(await pending.catch(shape));
  r.push(await fs.readFile(p('f'), { signal: 'nope' } as never).catch((e: E) => e.code));
  return r;
});

same(h, 'fs.constants has the Linux values', async ({ fs }) => {
  const c = fs.constants;
  return [
    c.F_OK,
    c.R_OK,
    c.W_OK,
    c.X_OK,
    c.O_CREAT,
    c.O_EXCL,
    c.O_APPEND,
    c.COPYFILE_EXCL,
    c.S_IFMT,
    c.S_IFDIR,
  ];
});
