// The record layer on the real clock: a process that used a Net and closed it exits on its own.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

test('a child that looks up records and closes the Net exits promptly by itself', () => {
  const net = new URL('../../src/afs/net.js', import.meta.url).href;
  const script = `
    import { Net } from '${net}';
    const later = (ms, v, signal) => new Promise((res, rej) => {
      if (signal.aborted) return rej(signal.reason);
      const t = setTimeout(() => res(v), ms);
      signal.addEventListener('abort', () => { clearTimeout(t); rej(signal.reason); }, { once: true });
    });
    const ops = {
      vlGetEntry: (c, n, s) => later(2, { name: n, volumeId: 7, sites: [{ uuid: 'u1', uniquifier: 1, flags: 4 }] }, s),
      vlGetAddrs: (c, u, s) => later(2, { addrs: ['127.0.0.1:7000'], uniquifier: 1 }, s),
      fsProbe: (srv, a, s) => later(2, { capabilities: 1, responded: true }, s),
      fsGiveUpAllCallBacks: (srv, a, s) => later(60_000, undefined, s), // never answers in time
    };
    const n = new Net({ ops, serverGcDelayMs: 10_000 });
    const cell = await n.lookupCell('a.test', { vlServers: ['127.0.0.1:7003'] });
    const vol = await cell.lookupVolume('root.cell');
    vol.servers.entries[0].server.noteMayHaveCallbacks();
    vol.unuseVolume('unuse_user');
    cell.unuseCell('unuse_lookup');
    const t0 = performance.now();
    await n.close({ timeout: 5000 });
    console.log(JSON.stringify({ ms: performance.now() - t0, left: n.liveRecords().length }));
  `;
  const t = Date.now();
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const r = JSON.parse(out.trim());
  assert.equal(r.left, 0);
  assert.ok(r.ms < 1000, `close took ${r.ms}ms`);
  assert.ok(Date.now() - t < 8000, 'the child exited without waiting on any timer');
});
