// Recursive operations on the real cell (issue 9 item 1, the part a real server can show): rm -r
// and readdir recursive go by FID through a tree of nested directories, files and symbolic links;
// the FUSE mount (OpenAFS's own client, through real node:fs) is the referee.
import assert from 'node:assert/strict';
import { readdir as fuseReaddir, stat as fuseStat } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { AfsClient } from '../../src/client.js';
import { cellEnv } from './helpers/cell.js';
import { adminClient, eventually, type Scratch, scratchDir } from './helpers/files.js';

let client: AfsClient;
let dir: Scratch;

before(async () => {
  client = adminClient(await cellEnv());
  dir = await scratchDir(client, 'fs-tree');
});
after(async () => {
  await dir?.remove();
  await client?.close();
});

/** a/ b/ c/ three levels, files at each level, a symlink to a directory (not followed). */
async function buildTree(root: string): Promise<void> {
  await client.fs.mkdir(root);
  for (const a of ['a', 'b']) {
    await client.fs.mkdir(`${root}/${a}`);
    await client.fs.writeFile(`${root}/${a}/f`, a);
    for (const c of ['x', 'y', 'z']) {
      await client.fs.mkdir(`${root}/${a}/${c}`);
      for (let i = 0; i < 4; i++) await client.fs.writeFile(`${root}/${a}/${c}/n${i}`, `${i}`);
    }
  }
  await client.fs.writeFile(`${root}/top`, 'top');
  await client.fs.symlink('a', `${root}/link-to-a`);
  await client.fs.mkdir(`${root}/empty`);
}

test('readdir recursive lists what node:fs lists through the FUSE mount', async () => {
  const root = `${dir.path}/list`;
  await buildTree(root);
  const ours = (await client.fs.readdir(root, { recursive: true })).sort();
  const theirs = await eventually(async () => {
    const r = (await fuseReaddir(root, { recursive: true })).sort();
    assert.deepEqual(r, ours);
    return r;
  });
  // a and b with 16 entries each, top, the link, empty, and a's 16 again through the link
  // (node:fs/promises descends into links to directories when it returns names).
  assert.equal(theirs.length, 2 + 2 * 16 + 3 + 16);
  assert.ok(theirs.includes('link-to-a/z/n3'));
  const dirents = await client.fs.readdir(root, { recursive: true, withFileTypes: true });
  const deep = dirents.find((d) => d.name === 'n3' && d.parentPath === `${root}/b/z`);
  assert.ok(deep?.isFile());
  assert.ok(
    dirents.find((d) => d.name === 'link-to-a')?.isSymbolicLink(),
    'the link is listed, not followed',
  );
  const fuseDirents = await fuseReaddir(root, { recursive: true, withFileTypes: true });
  assert.deepEqual(
    dirents.map((d) => `${d.parentPath}/${d.name}`).sort(),
    fuseDirents.map((d) => `${d.parentPath}/${d.name}`).sort(),
  );
});

test('rm -r removes the whole tree and nothing beside it', async () => {
  const root = `${dir.path}/gone`;
  await buildTree(root);
  await client.fs.writeFile(`${dir.path}/beside`, 'stays');
  await client.fs.rm(root, { recursive: true });
  await assert.rejects(client.fs.stat(root), { code: 'ENOENT' });
  assert.equal(await client.fs.readFile(`${dir.path}/beside`, 'utf8'), 'stays');
  // The referee sees the same.
  await eventually(async () => {
    await assert.rejects(fuseStat(root), { code: 'ENOENT' });
  });
  assert.ok((await fuseStat(`${dir.path}/beside`)).isFile());
});
