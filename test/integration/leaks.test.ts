// Nothing hangs and nothing leaks: every socket and timer the client made is destroyed after
// close(), seen through async_hooks (unref'd handles are invisible to getActiveResourcesInfo), and
// a child process that used the client exits on its own.
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { AfsClient } from '../../src/client.js';
import { cellEnv, REPO_ROOT } from './helpers/cell.js';

test('every UDP socket and timer the client created is destroyed after close()', async () => {
  const env = await cellEnv();
  const live = new Map<number, string>();
  const seen = new Map<string, number>();
  const hook = createHook({
    init(id, type) {
      if (type === 'UDPWRAP' || type === 'Timeout' || type === 'UDPSENDWRAP') {
        live.set(id, type);
        seen.set(type, (seen.get(type) ?? 0) + 1);
      }
    },
    destroy(id) {
      live.delete(id);
    },
  });
  hook.enable();
  try {
    const client = new AfsClient({ cellServDB: env.cellServDb, cell: env.cell });
    await client.start();
    const e = await client.vldbEntry('root.cell');
    let n = 0;
    await client.fetchByFid({ volume: e.volumeIds.rw, vnode: 1, unique: 1 }, (c) => {
      n += c.length;
    });
    assert.ok(n > 0);
    await client.close();
    // Let destroy hooks run.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  } finally {
    hook.disable();
  }
  assert.ok((seen.get('UDPWRAP') ?? 0) >= 1, 'the client made a socket');
  assert.ok((seen.get('Timeout') ?? 0) >= 1, 'and timers');
  const left = [...live.values()].filter((t) => t !== 'UDPSENDWRAP');
  assert.deepEqual(left, [], `still alive: ${left.join(', ')}`);
});

test('a child process that uses the client and closes it exits on its own within seconds', async () => {
  const env = await cellEnv();
  const script = join(REPO_ROOT, 'dist/test/integration/helpers/child-client.js');
  const t0 = Date.now();
  const child = spawn(process.execPath, [script, env.cellServDb, env.cell, 'root.cell'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    const kill = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child still running after 15 s; stdout=${out} stderr=${err}`));
    }, 15_000);
    child.on('exit', (c) => {
      clearTimeout(kill);
      resolve(c);
    });
  });
  assert.equal(code, 0, err);
  assert.equal(out.trim(), 'closed');
  const after = Date.now() - t0;
  assert.ok(after < 10_000, `exited after ${after} ms`);
});
