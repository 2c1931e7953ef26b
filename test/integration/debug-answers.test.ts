// rxdebug and cmdebug answers disclose connection ids, cached FIDs and cells. With
// debugAnswers 'none' OpenAFS's own tools get nothing from a running tsafs; by default (loopback)
// they are answered (rx-interop and cmdebug tests).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { AfsClient } from '../../src/client.js';
import { testClient } from './helpers/afs-client.js';
import { type CellEnv, cellEnv } from './helpers/cell.js';

const run = promisify(execFile);
let env: CellEnv;
let quiet: AfsClient;

before(async () => {
  env = await cellEnv();
  quiet = await testClient({ bind: { host: '127.0.0.1' }, debugAnswers: 'none' });
  // Something to disclose: a cached file and a connection to the file server.
  await quiet.fs.readdir(env.rwDir);
});
after(async () => {
  await quiet.close();
});

test("debugAnswers 'none': OpenAFS rxdebug gets no answer", async () => {
  const port = String(quiet.endpoint.address.port);
  await assert.rejects(run('rxdebug', ['127.0.0.1', port, '-version'], { timeout: 8000 }));
  assert.ok((quiet.endpoint.stats.dropReasons['debug-refused'] ?? 0) > 0);
});

test("debugAnswers 'none': OpenAFS cmdebug lists no cache entry and no cell", async () => {
  const port = String(quiet.endpoint.address.port);
  const out = await run('cmdebug', ['127.0.0.1', '-port', port, '-long'], { timeout: 20_000 }).then(
    (r) => r.stdout + r.stderr,
    (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
  );
  assert.doesNotMatch(out, /Cache entry/);
  const cells = await run('cmdebug', ['127.0.0.1', '-port', port, '-cellservdb'], { timeout: 20_000 }).then(
    (r) => r.stdout,
    (e: { stdout?: string }) => e.stdout ?? '',
  );
  assert.ok(!cells.includes(env.cell), cells);
});
