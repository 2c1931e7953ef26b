// Volume operations under a reading client, on the real two-server cell (issue 14): vos move of a
// volume mid-read (the old site answers VNOVOL/VMOVED: the VLDB is read again), vos release of the
// replicated volume during repeated reads (its sites go busy/offline for a moment), vos offline of
// one RO site (the other serves) and of a volume's only site (the client waits for it). Every read
// is bit-exact against what afsfix (libafscp) wrote. Each test leaves the cell as it found it.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { AfsClient } from '../../src/client.js';
import { testClient } from '../integration/helpers/afs-client.js';
import { type CellEnv, cellEnv, fixture, fixtureWrite } from '../integration/helpers/cell.js';
import { restoreServer2, type Server2Env, server2Env } from './helpers-server2.js';

const run = promisify(execFile);
let env: CellEnv;
let s2: Server2Env;

before(async () => {
  env = await cellEnv();
  s2 = await server2Env();
  await restoreServer2();
});
after(() => restoreServer2());

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const vos = (args: string[], timeout = 300_000) => run('vos', [...args, '-localauth'], { timeout });

/** A vos command in the background: its exit as a promise, and whether it has ended. */
function vosBackground(args: string[]): { done: Promise<void>; ended: () => boolean } {
  const p: ChildProcess = spawn('vos', [...args, '-localauth'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let ended = false;
  p.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const done = new Promise<void>((resolve, reject) => {
    p.on('error', reject);
    p.on('close', (code) => {
      ended = true;
      if (code === 0) resolve();
      else reject(new Error(`vos ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
    });
  });
  done.catch(() => {});
  return { done, ended: () => ended };
}

async function readExact(c: AfsClient, path: string, want: { size: number; sha256: string }, what: string) {
  const b = (await c.fs.readFile(path)) as Buffer;
  assert.equal(b.length, want.size, `${what}: length`);
  assert.equal(sha(b), want.sha256, `${what}: sha256`);
}

test('vos move of a volume mid-read: every read bit-exact, and reads after the move find the new site', {
  timeout: 900_000,
}, async (t) => {
  const tag = Date.now().toString(36).slice(-6);
  const volume = `tsafs.mv${tag}`;
  const mount = `mv-${tag}`;
  const path = `${env.rwDir}/${mount}/f`;
  await vos(['create', s2.addr2, 'b', volume, '-maxquota', '0']);
  const c = await testClient({ cacheSize: false });
  try {
    await fixture(['mkmount', `${env.cell}:${env.rwVolume}:/${mount}`, `#${volume}.`]);
    await fixture([
      'setacl',
      `${env.cell}:${volume}:/`,
      'system:anyuser',
      'rl',
      'system:administrators',
      'rlidwka',
    ]);
    const want = await fixtureWrite(`${env.cell}:${volume}:/f`, 64 << 20, 7);
    await readExact(c, path, want, 'before the move');
    const reading = (async () => {
      let n = 0;
      await sleep(500);
      const move = vosBackground(['move', volume, s2.addr2, 'b', env.addr, 'a']);
      while (!move.ended()) {
        await readExact(c, path, want, `read ${++n} during the move`);
      }
      await move.done;
      return n;
    })();
    const n = await reading;
    t.diagnostic(`${n} whole reads overlapped the move`);
    assert.ok(n >= 1, 'a read overlapped the move');
    const ex = (await vos(['examine', volume, '-noresolve'])).stdout;
    assert.match(ex, new RegExp(`server ${env.addr.replace(/\./g, '\\.')} partition /vicepa RW Site`));
    await readExact(c, path, want, 'after the move');
  } finally {
    await c.close();
    await fixture(['rm', `${env.cell}:${env.rwVolume}:/${mount}`]).catch(() => {});
    await vos(['remove', '-id', volume]).catch(() => {});
  }
});

test('vos release (forced, full) during repeated reads of the replicated volume: every read bit-exact', {
  timeout: 900_000,
}, async (t) => {
  const path = `${s2.repDir}/${s2.repFile}`;
  const want = { size: s2.repSize, sha256: s2.repSha256 };
  const c = await testClient({ cacheSize: false });
  const release = vosBackground(['release', s2.repVolume, '-f']);
  try {
    let n = 0;
    while (!release.ended()) {
      await readExact(c, path, want, `read ${++n} during the release`);
    }
    await release.done;
    t.diagnostic(`${n} whole reads overlapped the release`);
    assert.ok(n >= 1);
    await readExact(c, path, want, 'after the release');
  } finally {
    await c.close();
    await release.done.catch(() => {});
    // Never leave the RO sites unreleased for the tests that follow.
    const ex = (await vos(['examine', s2.repVolume])).stdout;
    if (/Not released|New release|Old release/i.test(ex)) await vos(['release', s2.repVolume]);
  }
});

test("vos offline of server 2's RO site: fresh clients read bit-exact from server 1", {
  timeout: 600_000,
}, async (t) => {
  const path = `${s2.repDir}/${s2.repFile}`;
  const want = { size: s2.repSize, sha256: s2.repSha256 };
  const ro = `${s2.repVolume}.readonly`;
  await vos(['offline', '-server', s2.addr2, '-partition', 'b', '-id', ro]);
  try {
    for (let i = 0; i < 3; i++) {
      const c = await testClient({ cacheSize: false });
      try {
        const t0 = performance.now();
        await readExact(c, path, want, `client ${i}`);
        t.diagnostic(`client ${i}: ${Math.round(performance.now() - t0)} ms`);
      } finally {
        await c.close();
      }
    }
  } finally {
    await vos(['online', '-server', s2.addr2, '-partition', 'b', '-id', ro]);
  }
});

test('vos offline of the only site for 8 s: the client waits and then succeeds', {
  timeout: 600_000,
  // kAFS (rotate.c) handles VOFFLINE like VBUSY once every site has said it: sleep, then retry.
  todo: 'VOFFLINE from the only site fails at once with EIO (src/afs/rotate.ts does not wait for it)',
}, async (t) => {
  const c = await testClient({ cacheSize: false });
  const f = `${s2.solo2Dir}/offline-${process.pid}`;
  try {
    await c.fs.writeFile(f, 'still here\n');
    const off = vosBackground([
      'offline',
      '-server',
      s2.addr2,
      '-partition',
      'b',
      '-id',
      s2.solo2Volume,
      '-sleep',
      '8',
    ]);
    await sleep(1000);
    const t0 = performance.now();
    assert.equal(await c.fs.readFile(f, 'utf8'), 'still here\n');
    t.diagnostic(`readFile during the offline returned after ${Math.round(performance.now() - t0)} ms`);
    await off.done;
  } finally {
    await vos(['online', '-server', s2.addr2, '-partition', 'b', '-id', s2.solo2Volume]).catch(() => {});
    await c.fs.rm(f, { force: true }).catch(() => {});
    await c.close();
  }
});
