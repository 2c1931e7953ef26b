// Metadata: stat/lstat (bigint too), access by mode, chmod, utimes/lutimes, chown, statfs —
// node:fs/promises' contract (test/parallel/test-fs-stat*.js, test-fs-access.js,
// test-fs-chmod.js, test-fs-utimes.js, test-fs-statfs.js), each case on AFS and on a local disk;
// AFS limits (whole-second times, no atime, PTS owners) as the README's table says.
import { conformanceHarness, same } from './harness.js';

const h = conformanceHarness('conf-meta');
type E = { code: string; syscall?: string; path?: string };

same(h, 'stat and lstat: kinds, sizes, modes; ENOENT names stat/lstat', async ({ fs, p }) => {
  await fs.writeFile(p('f'), 'abc', { mode: 0o640 });
  await fs.symlink('f', p('l'));
  return [
    await fs.stat(p('f')),
    await fs.stat(p('l')),
    await fs.lstat(p('l')),
    (await fs.stat(p(''))).isDirectory(), // directory sizes differ by nature (AFS pages of 2 KiB)
    await fs.stat(p('none')).catch((e: E) => [e.code, e.syscall]),
    await fs.lstat(p('none')).catch((e: E) => [e.code, e.syscall]),
  ];
});

same(h, 'stat { bigint: true } gives bigints and nanosecond times', async ({ fs, p }) => {
  await fs.writeFile(p('f'), 'abcd');
  const st = await fs.stat(p('f'), { bigint: true });
  return [typeof st.size, st.size, typeof st.mtimeNs, typeof st.mode, st.mtime instanceof Date, st.isFile()];
});

same(
  h,
  'access: F_OK, R_OK|W_OK on an own file; X_OK on a 0644 file is EACCES with syscall access',
  async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x', { mode: 0o644 });
    await fs.writeFile(p('x'), 'x', { mode: 0o755 });
    const { F_OK, R_OK, W_OK, X_OK } = fs.constants;
    return [
      await fs.access(p('f')),
      await fs.access(p('f'), F_OK),
      await fs.access(p('f'), R_OK | W_OK),
      await fs.access(p('f'), X_OK).catch((e: E) => [e.code, e.syscall, e.path]),
      await fs.access(p('x'), X_OK | R_OK),
      await fs.access(p(''), R_OK | W_OK | X_OK),
      await fs.access(p('none'), R_OK).catch((e: E) => [e.code, e.syscall, e.path]),
    ];
  },
);

same(h, 'chmod sets the permission bits (number or octal string)', async ({ fs, p }) => {
  await fs.writeFile(p('f'), 'x');
  await fs.chmod(p('f'), 0o600);
  const a = (await fs.stat(p('f'))).mode & 0o7777;
  await fs.chmod(p('f'), '755');
  return [
    a,
    (await fs.stat(p('f'))).mode & 0o7777,
    await fs.chmod(p('none'), 0o600).catch((e: E) => [e.code, e.syscall]),
  ];
});

same(
  h,
  'utimes sets the modification time (whole seconds kept on AFS); atime follows mtime on AFS',
  async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.utimes(p('f'), 1_000_000, 1_600_000_000);
    const st = await fs.stat(p('f'));
    await fs.utimes(p('f'), new Date(5_000), new Date('2020-01-02T03:04:05Z'));
    const st2 = await fs.stat(p('f'));
    return [
      st.mtimeMs,
      st2.mtime.toISOString(),
      await fs.utimes(p('none'), 1, 1).catch((e: E) => [e.code, e.syscall]),
    ];
  },
);

same(
  h,
  'utimes keeps fractions of a second locally; AFS keeps whole seconds',
  async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.utimes(p('f'), 1_600_000_000.5, 1_600_000_000.5);
    const st = await fs.stat(p('f'));
    return [st.mtimeMs, st.atimeMs];
  },
  { afs: () => ({ value: [1_600_000_000_000, 1_600_000_000_000] }) },
);

same(h, "lutimes sets a link's own time, not its target's", async ({ fs, p }) => {
  await fs.writeFile(p('t'), 'x');
  await fs.utimes(p('t'), 1_500_000_000, 1_500_000_000);
  await fs.symlink('t', p('l'));
  await fs.lutimes(p('l'), 1_400_000_000, 1_400_000_000);
  return [(await fs.lstat(p('l'))).mtimeMs, (await fs.stat(p('t'))).mtimeMs];
});

same(h, 'chown to the current owner keeps it; -1 leaves an id unchanged', async ({ fs, p }) => {
  await fs.writeFile(p('f'), 'x');
  const st = await fs.stat(p('f'));
  await fs.chown(p('f'), st.uid, -1);
  await fs.lchown(p('f'), -1, -1);
  const after = await fs.stat(p('f'));
  return [
    after.uid === st.uid,
    after.gid === st.gid,
    await fs.chown(p('none'), 0, 0).catch((e: E) => [e.code, e.syscall]),
  ];
});

same(h, 'statfs gives numbers (bigints when asked) with free ≤ total', async ({ fs, p }) => {
  const s = await fs.statfs(p(''));
  const b = await fs.statfs(p(''), { bigint: true });
  return [
    Object.keys(s).sort(),
    Object.values(s).every((v) => typeof v === 'number'),
    Object.values(b).every((v) => typeof v === 'bigint'),
    s.bavail <= s.blocks && s.bfree <= s.blocks,
    await fs.statfs(p('none')).catch((e: E) => [e.code, e.syscall]),
  ];
});
