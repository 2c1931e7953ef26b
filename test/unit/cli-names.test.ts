// get -r: entry names from the server never escape the target directory, whatever they are.
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import type { CliContext } from '../../src/cli/command.js';
import { getTree } from '../../src/cli/get.js';
import { localChildPath, NAME_MAX, UnsafeNameError, unsafeNameReason } from '../../src/cli/names.js';
import { SILENT } from '../../src/cli/progress.js';
import type { AfsClient } from '../../src/client.js';
import { AfsError } from '../../src/rpc/errors.js';

const b = (s: string) => Buffer.from(s, 'latin1');

const HOSTILE: [Buffer, string][] = [
  [b(''), 'empty'],
  [b('.'), 'dot'],
  [b('..'), 'dot-dot'],
  [b('/'), 'slash'],
  [b('/etc/passwd'), 'slash'],
  [b('../x'), 'slash'],
  [b('a/../../x'), 'slash'],
  [b('x/..'), 'slash'],
  [b('a\0b'), 'nul'],
  [b('\0'), 'nul'],
  [b('..\0'), 'nul'],
  [Buffer.alloc(NAME_MAX + 1, 0x61), 'too-long'],
];

const FINE = [
  b('ok'),
  b('...'),
  b('..a'),
  b('.hidden'),
  b('a b'),
  Buffer.from('é文'),
  Buffer.from([0xff, 0xfe, 0x80]),
  Buffer.alloc(NAME_MAX, 0x61),
];

test('hostile names are refused with the reason, as typed errors', () => {
  for (const [name, reason] of HOSTILE) {
    assert.equal(unsafeNameReason(name), reason, JSON.stringify(name.toString('latin1')));
    assert.throws(
      () => localChildPath('/tmp/target', name),
      (e: unknown) =>
        e instanceof UnsafeNameError && e.code === 'ERR_TSAFS_UNSAFE_NAME' && e.reason === reason,
    );
  }
});

test('ordinary names (dots inside, spaces, UTF-8, non-UTF-8 bytes, 255 bytes) map to one entry inside the target', () => {
  for (const name of FINE) {
    assert.equal(unsafeNameReason(name), undefined);
    for (const dir of ['/tmp/target', '/tmp/target/']) {
      const p = localChildPath(dir, name);
      assert.deepEqual(p, Buffer.concat([b('/tmp/target/'), name]));
      // Resolving the path stays directly inside the target.
      const text = p.toString('latin1');
      assert.equal(resolve(text, '..'), '/tmp/target');
    }
  }
});

// A fake file server tree: directory name → entries, files by path.
interface FakeEntry {
  name: Buffer;
  kind: 'file' | 'directory' | 'symlink';
  data?: string;
  target?: string;
}

function fakeContext(tree: Map<string, FakeEntry[]>, warnings: string[]): CliContext {
  const find = (path: Buffer): FakeEntry | undefined => {
    const p = path.toString('latin1');
    const cut = p.lastIndexOf('/');
    return tree.get(p.slice(0, cut))?.find((e) => e.name.toString('latin1') === p.slice(cut + 1));
  };
  const kindOf = (path: Buffer) => (tree.has(path.toString('latin1')) ? 'directory' : find(path)?.kind);
  let vnode = 1;
  const contents = new Map<number, string>();
  const stats = (path: Buffer) => {
    const kind = kindOf(path);
    if (!kind) throw new AfsError('ENOENT', `ENOENT: ${path.toString('latin1')}`);
    const data = find(path)?.data ?? '';
    contents.set(vnode, data);
    return {
      kind,
      cell: 'fake',
      fid: { volume: 1, vnode: vnode++, unique: 1 },
      size: data.length,
      mode: 0o644,
      isDirectory: () => kind === 'directory',
    };
  };
  const fs = {
    stat: async (p: Buffer) => stats(p),
    lstat: async (p: Buffer) => stats(p),
    readdir: async (p: Buffer) =>
      (tree.get(p.toString('latin1')) ?? []).map((e) => ({ name: e.name, kind: e.kind })),
    readlink: async (p: Buffer) => Buffer.from(find(p)?.target ?? ''),
  };
  const fetchByFid = async (fid: { vnode: number }, sink: (c: Buffer) => Promise<void>) => {
    const data = Buffer.from(contents.get(fid.vnode) ?? '');
    await sink(data);
    return { total: data.length, length: data.length };
  };
  return {
    json: false,
    cell: undefined,
    client: { fs, fetchByFid } as unknown as AfsClient,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    afsPath: (p) => p,
    progress: () => SILENT,
    warn: (m) => void warnings.push(m),
  };
}

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'tsafs-cli-names-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('getTree copies what is safe and refuses every hostile name a server sends', async () => {
  const outside = join(work, 'outside.txt');
  await writeFile(outside, 'untouched');
  const f = (name: Buffer | string, data: string): FakeEntry => ({
    name: typeof name === 'string' ? b(name) : name,
    kind: 'file',
    data,
  });
  const tree = new Map<string, FakeEntry[]>([
    [
      '/afs/c/d',
      [
        ...HOSTILE.map(([name]) => f(name, 'EVIL')),
        f('../outside.txt', 'EVIL'),
        f('ok.txt', 'fine'),
        f(Buffer.from([0xff, 0x41]), 'bytes'),
        { name: b('sub'), kind: 'directory' },
        // A symlink then a same-named directory: the copy must not write through the link.
        { name: b('dup'), kind: 'symlink', target: work },
        { name: b('dup'), kind: 'directory' },
      ],
    ],
    ['/afs/c/d/sub', [f('..', 'EVIL'), f('inner.txt', 'in')]],
    ['/afs/c/d/dup', [f('outside.txt', 'EVIL')]],
  ]);
  const warnings: string[] = [];
  const target = join(work, 'target');
  const r = await getTree(fakeContext(tree, warnings), b('/afs/c/d'), Buffer.from(target));
  assert.equal(r.refused.length, HOSTILE.length + 2, 'every hostile name, including the nested ".."');
  assert.equal(r.files, 3);
  assert.equal(await readFile(join(target, 'ok.txt'), 'utf8'), 'fine');
  assert.equal(await readFile(join(target, 'sub', 'inner.txt'), 'utf8'), 'in');
  assert.equal(
    await readFile(Buffer.concat([Buffer.from(`${target}/`), Buffer.from([0xff, 0x41])]), 'utf8'),
    'bytes',
  );
  assert.equal(await readlink(join(target, 'dup')), work);
  assert.ok((await lstat(join(target, 'dup'))).isSymbolicLink());
  assert.equal(r.failed.length, 1, 'the duplicate directory behind the symlink fails');
  assert.equal(await readFile(outside, 'utf8'), 'untouched');
  assert.deepEqual((await readdir(work)).sort(), ['outside.txt', 'target']);
  assert.deepEqual((await readdir(target)).sort(), ['dup', 'ok.txt', 'sub', '\ufffdA'].sort());
  assert.ok(warnings.some((w) => w.includes('dot-dot')));
});
