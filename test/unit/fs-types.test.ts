// A TypeScript check (tsc --noEmit): client.fs's functions are assignable to node:fs/promises'
// own, with string | Buffer | URL paths, so code typed against node:fs/promises accepts client.fs.
// A file is generated that assigns each function to `typeof fsp.<name>` and compiled strictly.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../integration/helpers/cell.js';

/** Checked to fit node:fs/promises' types exactly. */
const FITTING = [
  'access',
  'chmod',
  'chown',
  'copyFile',
  'cp',
  'lchown',
  'link',
  'lstat',
  'lutimes',
  'mkdtemp',
  'open',
  'realpath',
  'rename',
  'rm',
  'rmdir',
  'stat',
  'statfs',
  'symlink',
  'truncate',
  'unlink',
  'utimes',
  'constants',
];

test('client.fs functions are assignable to node:fs/promises ones (tsc --noEmit)', {
  timeout: 120_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tsafs-types-'));
  try {
    const src = join(REPO_ROOT, 'src', 'fs', 'promises.js');
    const lines = [
      "import type * as fsp from 'node:fs/promises';",
      `import type { AfsFs } from ${JSON.stringify(src)};`,
      'declare const fs: AfsFs;',
      ...FITTING.map((n) => `export const ${n}: typeof fsp.${n} = fs.${n};`),
    ];
    const file = join(dir, 'check.ts');
    await writeFile(file, `${lines.join('\n')}\n`);
    const tsc = join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
    const args = [
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--skipLibCheck',
    ];
    args.push('--types', 'node', '--typeRoots', join(REPO_ROOT, 'node_modules', '@types'), file);
    const r = await promisify(execFile)(tsc, args).then(
      () => '',
      (e: { stdout?: string }) => e.stdout ?? String(e),
    );
    assert.equal(r, '', r);
    // The same check with a wrong assignment fails: the compiler really looks.
    await writeFile(file, `${lines.join('\n')}\nexport const bad: typeof fsp.stat = fs.readdir;\n`);
    const wrong = await promisify(execFile)(tsc, args).then(
      () => '',
      (e: { stdout?: string }) => e.stdout ?? String(e),
    );
    assert.match(wrong, /error TS2322/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
