// Failover against the real two-server cell (issue 14): server 2 killed or SIGSTOPped 0.5 s into a
// read of the 64 MiB file in the replicated volume, through every read path; server 2 already
// dead before a fresh client's first read. Bit-exact every time (sha256 of what afsfix wrote), in
// runs where server 2 was proven to be serving when the fault struck (its own Rx counters), and
// the failover costs at most 5 s over the same path's fault-free read in the same run: a dead site
// must be left after a short silence while another site exists. Server 2 is restored in finally.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, type TestContext, test } from 'node:test';
import type { AfsClient } from '../../src/client.js';
import { testClient } from '../integration/helpers/afs-client.js';
import { type CellEnv, cellEnv, REPO_ROOT } from '../integration/helpers/cell.js';
import {
  restoreServer2,
  rxDataPacketsSent,
  type Server2Env,
  server2,
  server2Env,
} from './helpers-server2.js';

let env: CellEnv;
let s2: Server2Env;
let path: string;

/** Failover may cost this much over the fault-free read (issue 14). */
const MAX_ADDED_MS = 5000;
/** Fresh clients tried until one reads from server 2 (sites are spread over clients). */
const MAX_TRIES = 8;
/** Data packets server 2 must have sent in the first 0.5 s to count as serving (≥ 700 KB). */
const SERVING_PACKETS = 500;

before(async () => {
  env = await cellEnv();
  s2 = await server2Env();
  path = `${s2.repDir}/${s2.repFile}`;
  await restoreServer2();
});
after(() => restoreServer2());

interface ReadResult {
  sha256: string;
  length: number;
}

/**
 * One whole read of `path` through one API; each in-process read uses a fresh, cacheless client.
 * `reading` is called when the read is under way (for the CLI: its first byte, after Node's start).
 */
type Reader = (c: AfsClient | undefined, reading: () => void) => Promise<ReadResult>;

const digest = (chunks: Iterable<Buffer>): ReadResult => {
  const h = createHash('sha256');
  let length = 0;
  for (const b of chunks) {
    h.update(b);
    length += b.length;
  }
  return { sha256: h.digest('hex'), length };
};

const readers: Record<string, Reader> = {
  readFile: async (c) => digest([(await c!.fs.readFile(path)) as Buffer]),
  'FileHandle.read 1 MiB': async (c) => {
    const fh = await c!.fs.open(path);
    const h = createHash('sha256');
    let pos = 0;
    try {
      for (;;) {
        const buf = Buffer.alloc(1 << 20);
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        h.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
    } finally {
      await fh.close();
    }
    return { sha256: h.digest('hex'), length: pos };
  },
  createReadStream: async (c) => {
    const h = createHash('sha256');
    let length = 0;
    for await (const chunk of c!.fs.createReadStream(path)) {
      h.update(chunk as Buffer);
      length += (chunk as Buffer).length;
    }
    return { sha256: h.digest('hex'), length };
  },
  'tsafs cat': (_c, reading) =>
    new Promise<ReadResult>((resolve, reject) => {
      const cli = join(REPO_ROOT, 'dist/src/cli/main.js');
      const args = [cli, 'cat', path, '--anonymous', '--cell', env.cell, '--cellservdb', env.cellServDb];
      const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const h = createHash('sha256');
      let length = 0;
      let stderr = '';
      p.stdout.on('data', (b: Buffer) => {
        if (length === 0) reading();
        h.update(b);
        length += b.length;
      });
      p.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
      });
      p.on('error', reject);
      p.on('close', (code) => {
        if (code === 0) resolve({ sha256: h.digest('hex'), length });
        else reject(new Error(`tsafs cat exited ${code}: ${stderr.trim()}`));
      });
    }),
};

const needsClient = (api: string) => api !== 'tsafs cat';

async function timedRead(api: string): Promise<{ ms: number; r: ReadResult }> {
  const c = needsClient(api) ? await testClient({ cacheSize: false }) : undefined;
  try {
    const t0 = performance.now();
    const r = await readers[api]!(c, () => {});
    return { ms: performance.now() - t0, r };
  } finally {
    await c?.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Time bounds the client does not meet yet (measured on main, load average ~20 on 2 cores). Such
 * a bound, when missed, marks its test TODO with the reason; every other check stays hard, and
 * the bound is checked last. Remove an entry once the client meets it.
 */
const PENDING: Record<string, string> = {
  createReadStream: 'read streams fail over in +6.8 s (SIGSTOP) / +7.5 s (kill): issue 14 asks ≤ 5 s',
  'dead before': 'first read +5.3 s, second +1.2 s over a 7.7 s baseline on the loaded box',
  'only server': 'the first call to a stopped only-server waits the full 30 s dead time (issue 14: ≤ 10 s)',
};

function bound(t: TestContext, ok: boolean, message: string, pending?: string): void {
  if (!ok && pending) {
    t.todo(`${pending} (this run: ${message})`);
    return;
  }
  assert.ok(ok, message);
}

function assertExact(r: ReadResult, what: string): void {
  assert.equal(r.length, s2.repSize, `${what}: length`);
  assert.equal(r.sha256, s2.repSha256, `${what}: sha256`);
}

/**
 * Reads until one run has server 2 serving 0.5 s in; then strikes with `fault` and lets the read
 * finish. Returns the faulted run's time; every run's bytes are checked.
 */
async function readWithFault(
  t: TestContext,
  api: string,
  fault: 'kill' | 'sigstop',
): Promise<{ baselineMs: number; faultedMs: number }> {
  const base = await timedRead(api);
  assertExact(base.r, `${api} baseline`);
  for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
    const c = needsClient(api) ? await testClient({ cacheSize: false }) : undefined;
    let struck = false;
    try {
      const sent0 = await rxDataPacketsSent(s2.addr2);
      const t0 = performance.now();
      let markUnderway!: () => void;
      const underway = new Promise<void>((r) => {
        markUnderway = r;
      });
      const reading = readers[api]!(c, markUnderway);
      reading.catch(() => {});
      if (needsClient(api)) markUnderway();
      await Promise.race([underway, reading.then(undefined, () => {})]);
      await sleep(500);
      const served = (await rxDataPacketsSent(s2.addr2)) - sent0;
      if (served >= SERVING_PACKETS) {
        await server2(fault);
        struck = true;
      }
      const r = await reading;
      const ms = performance.now() - t0;
      assertExact(r, `${api} attempt ${attempt}${struck ? ` (server 2 ${fault}ed mid-read)` : ''}`);
      if (struck) {
        t.diagnostic(
          `${api}, server 2 ${fault} at 0.5 s (it had sent ${served} data packets): ` +
            `${Math.round(ms)} ms vs ${Math.round(base.ms)} ms baseline, added ${Math.round(ms - base.ms)} ms`,
        );
        return { baselineMs: base.ms, faultedMs: ms };
      }
    } finally {
      await c?.close();
      if (struck) await restoreServer2();
    }
  }
  assert.fail(`server 2 served none of ${MAX_TRIES} fresh readers: the RO sites are not spread over clients`);
}

for (const fault of ['kill', 'sigstop'] as const) {
  for (const api of Object.keys(readers)) {
    test(`server 2 ${fault === 'kill' ? 'killed' : 'SIGSTOPped'} 0.5 s into ${api} of 64 MiB: bit-exact, ≤ 5 s added`, {
      timeout: 600_000,
    }, async (t) => {
      const { baselineMs, faultedMs } = await readWithFault(t, api, fault);
      bound(
        t,
        faultedMs - baselineMs <= MAX_ADDED_MS,
        `failover added ${Math.round(faultedMs - baselineMs)} ms (baseline ${Math.round(baselineMs)} ms)`,
        PENDING[api],
      );
    });
  }
}

test('server 2 dead before the read: a fresh client reads bit-exact with ≤ 5 s added, later reads no added time', {
  timeout: 600_000,
}, async (t) => {
  const base = await timedRead('readFile');
  assertExact(base.r, 'baseline');
  const slow: string[] = [];
  await server2('kill');
  try {
    // Several fresh clients: each orders the sites its own way, so some have server 2 first.
    for (let i = 0; i < 4; i++) {
      const c = await testClient({ cacheSize: false });
      try {
        let t0 = performance.now();
        assertExact(await readers.readFile!(c, () => {}), `client ${i} first read`);
        const first = performance.now() - t0;
        t0 = performance.now();
        assertExact(await readers.readFile!(c, () => {}), `client ${i} second read`);
        const second = performance.now() - t0;
        t.diagnostic(
          `client ${i}: first read ${Math.round(first)} ms, second ${Math.round(second)} ms, baseline ${Math.round(base.ms)} ms`,
        );
        slow.push(
          ...(first - base.ms > MAX_ADDED_MS
            ? [`client ${i} first read added ${Math.round(first - base.ms)} ms`]
            : []),
          // The dead server is remembered: no wait for it again (a short silence is already 1+ s).
          ...(second - base.ms > 1000
            ? [`client ${i} second read added ${Math.round(second - base.ms)} ms`]
            : []),
        );
      } finally {
        await c.close();
      }
    }
  } finally {
    await restoreServer2();
  }
  bound(t, slow.length === 0, slow.join('; '), PENDING['dead before']);
});

test('a volume whose only server is stopped: stat/readFile/writeFile fail within 10 s naming 127.1.0.2 and the volume; the same client works again after server2 start', {
  timeout: 600_000,
  todo: "writeFile's error names neither server nor volume ('ETIMEDOUT: connection timed out, open ...', after 29 ms)",
}, async (t) => {
  const c = await testClient({ cacheSize: false });
  const f = `${s2.solo2Dir}/solo-${process.pid}`;
  const late: string[] = [];
  try {
    await c.fs.writeFile(f, 'before\n');
    const volumeId = (await c.fs.stat(f)).fid.volume;
    await server2('stop');
    const ops: [string, () => Promise<unknown>][] = [
      ['stat', () => c.fs.stat(f)],
      ['readFile', () => c.fs.readFile(f)],
      ['writeFile', () => c.fs.writeFile(f, 'during\n')],
    ];
    for (const [name, op] of ops) {
      const t0 = performance.now();
      const err = await op().then(
        () => assert.fail(`${name} succeeded with the volume's only server stopped`),
        (e: unknown) => e as Error & { code?: unknown },
      );
      const ms = performance.now() - t0;
      t.diagnostic(`${name} failed after ${Math.round(ms)} ms: ${err.message}`);
      if (ms > 10_000) late.push(`${name} took ${Math.round(ms)} ms to fail`);
      assert.equal(typeof err.code, 'string', `${name}: a typed error (${err.message})`);
      assert.match(err.message, /127\.1\.0\.2/, `${name}: the message names the server`);
      assert.ok(
        err.message.includes(s2.solo2Volume) || err.message.includes(String(volumeId)),
        `${name}: the message names the volume: ${err.message}`,
      );
    }
    await server2('start');
    // One probe period of an unresponsive server (30 s) plus slack; the client is not recreated.
    const t0 = performance.now();
    let last: unknown;
    for (;;) {
      try {
        assert.equal(await c.fs.readFile(f, 'utf8'), 'before\n');
        break;
      } catch (e) {
        last = e;
        if (performance.now() - t0 > 35_000) throw last;
        await sleep(1000);
      }
    }
    t.diagnostic(`the same client read again ${Math.round(performance.now() - t0)} ms after server2 start`);
    await c.fs.writeFile(f, 'after\n');
    assert.equal(await c.fs.readFile(f, 'utf8'), 'after\n');
  } finally {
    await restoreServer2();
    await c.fs.rm(f, { force: true }).catch(() => {});
    await c.close();
  }
  bound(t, late.length === 0, late.join('; '), PENDING['only server']);
});
