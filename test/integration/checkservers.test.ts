// tsafs checkservers against the two-server cell: both file servers probed (FS.GetCapabilities),
// each address with its state and RTT, the OpenAFS `fs checkservers` summary line; --json gives
// the same per address. Server 2 is reached through the replicated volume's directory.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { FS_PORT } from '../../src/rpc/fs.js';
import { cellEnv, REPO_ROOT } from './helpers/cell.js';

const run = promisify(execFile);

test('checkservers: both servers of the replicated volume answer, with an RTT per address', async (t) => {
  const env = await cellEnv();
  const repDir = process.env.AFS_REP_DIR;
  const addr2 = process.env.AFS_ADDR2;
  if (!repDir || !addr2) return t.skip('no second file server (AFS_REP_DIR, AFS_ADDR2)');
  const cli = [join(REPO_ROOT, 'dist/src/cli/main.js'), '--cell', env.cell, '--cellservdb', env.cellServDb];
  const text = await run(process.execPath, [...cli, 'checkservers', repDir], { timeout: 60_000 });
  assert.match(text.stdout, /^All servers are running\.$/m);
  for (const a of [process.env.AFS_ADDR ?? '127.1.0.1', addr2])
    assert.match(
      text.stdout,
      new RegExp(`^${a.replaceAll('.', '\\.')}:${FS_PORT} +responsive +[\\d.]+ms `, 'm'),
    );
  const json = JSON.parse(
    (await run(process.execPath, [...cli, '--json', 'checkservers', repDir], { timeout: 60_000 })).stdout,
  ) as {
    servers: { state: string; addrs: { addr: string; state: string; rttMs: number | null }[] }[];
    unavailable: string[];
  };
  assert.deepEqual(json.unavailable, []);
  const addrs = json.servers.flatMap((s) => s.addrs);
  assert.ok(addrs.some((a) => a.addr === `${addr2}:${FS_PORT}`));
  for (const a of addrs) {
    assert.equal(a.state, 'responsive');
    assert.ok(typeof a.rttMs === 'number' && a.rttMs > 0, `${a.addr} has an RTT`);
  }
});
