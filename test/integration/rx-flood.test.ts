// Floods against the callback port of a tsafs endpoint running in a child process with a 96 MB
// heap: 100,000 new connection ids, 256 MiB into one callback call, 100,000 source ports. The
// heap stays within a stated bound and a real VL call on the same endpoint still works after.
import assert from 'node:assert/strict';
import { type ChildProcess, fork } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { CB, CB_SERVICE_ID } from '../../src/rpc/cb.js';
import { encodePacket, Flags, type PacketHeader, PacketType } from '../../src/rx/packet.js';
import type { FloodRequest } from './helpers/flood-target.js';

/** What the flood may leave behind on the heap (after GC). */
const HEAP_BOUND = 32 << 20;
const N = 100_000;

interface Stats {
  packetsIn: number;
  serverConns: number;
  peers: number;
  evictions: number;
  dropReasons: Record<string, number>;
}

class Target {
  private readonly child: ChildProcess;
  port = 0;
  constructor() {
    this.child = fork(new URL('./helpers/flood-target.js', import.meta.url), {
      execArgv: ['--max-old-space-size=96', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  }
  /** The next message from the target, after sending `m` (if any). */
  ask<T>(m?: FloodRequest): Promise<T> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`flood target exited (${code})`));
      this.child.once('exit', onExit);
      this.child.once('message', (r) => {
        this.child.off('exit', onExit);
        resolve(r as T);
      });
      if (m) this.child.send(m);
    });
  }
  async start(): Promise<void> {
    this.port = (await this.ask<{ port: number }>()).port;
  }
  stats = () => this.ask<Stats>('stats');
  heap = async () => (await this.ask<{ heap: number }>('heap')).heap;
  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.send('close');
    await exited;
  }
  /** Wait until the target has taken in `n` more datagrams than at `base` (or stopped gaining). */
  async drained(base: number, n: number): Promise<number> {
    let last = -1;
    for (let i = 0; i < 200; i++) {
      const s = await this.stats();
      const got = s.packetsIn - base;
      if (got >= n || got === last) return got;
      last = got;
      await new Promise((r) => setTimeout(r, 50));
    }
    return last;
  }
}

const header = (o: Partial<PacketHeader>): PacketHeader => ({
  epoch: 0x80000001,
  cid: 0x100,
  callNumber: 1,
  seq: 1,
  serial: 1,
  type: PacketType.Data,
  flags: Flags.CLIENT_INITIATED | Flags.LAST_PACKET,
  userStatus: 0,
  securityIndex: 0,
  cksum: 0,
  serviceId: CB_SERVICE_ID,
  ...o,
});

const opcode = (op: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(op);
  return b;
};

async function socket(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

const send = (s: Socket, d: Buffer, port: number) =>
  new Promise<void>((resolve) => s.send(d, port, '127.0.0.1', () => resolve()));

/** Send `count` datagrams made by `make`, pausing so the target (not the kernel) sees them. */
async function paced(
  t: Target,
  count: number,
  sendOne: (i: number) => Promise<void>,
  batch = 250,
): Promise<number> {
  const base = (await t.stats()).packetsIn;
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    await Promise.all(Array.from({ length: n }, (_, k) => sendOne(i + k)));
    // Let the target catch up (its socket buffer holds 4 MB) before the next few batches.
    if (batch * 16384 >= 1 << 20 || (i / batch) % 20 === 19) await t.drained(base, i + n - batch);
  }
  return t.drained(base, count);
}

describe('floods against the callback port (child process, 96 MB heap)', () => {
  const t = new Target();
  let heap0 = 0;
  before(async () => {
    await t.start();
    heap0 = await t.heap();
  });
  after(() => t.close());

  const check = async (what: string) => {
    const grown = (await t.heap()) - heap0;
    const s = await t.stats();
    console.log(`${what}: heap +${(grown / 2 ** 20).toFixed(1)} MiB, ${JSON.stringify(s)}`);
    assert.ok(grown < HEAP_BOUND, `${what}: heap grew ${grown} bytes`);
    assert.ok(s.serverConns <= 1024 && s.peers <= 4096, 'tables stay within their bounds');
    const vl = await t.ask<{ vl?: string; vlError?: string }>('vl');
    assert.equal(vl.vlError, undefined);
    assert.equal(vl.vl, process.env.AFS_ROOT_VOLUME ?? 'root.cell', 'a real VL call on the same endpoint');
  };

  test('100,000 datagrams with new connection ids', async () => {
    const s = await socket();
    try {
      const req = opcode(CB.TellMeAboutYourself.opcode);
      const got = await paced(t, N, (i) =>
        send(s, encodePacket(header({ cid: (0x1000 + i * 4) >>> 0 }), req), t.port),
      );
      assert.ok(got >= N * 0.9, `the target took in ${got} of ${N}`);
      const st = await t.stats();
      assert.ok(st.evictions > 0, 'connections beyond the bound were evicted');
    } finally {
      s.close();
    }
    await check('100,000 cids');
  });

  test('256 MiB into one callback call', async () => {
    const s = await socket();
    try {
      const size = 16384 - 28;
      const count = Math.ceil((256 << 20) / size);
      const body = Buffer.alloc(size, 0x41);
      opcode(CB.CallBack.opcode).copy(body);
      // Packet 1 last: everything before it waits for it, beyond the window it is dropped.
      const seqOf = (i: number) => (i === count - 1 ? 1 : i + 2);
      const got = await paced(
        t,
        count,
        (i) =>
          send(
            s,
            encodePacket(
              header({ cid: 0x7700, seq: seqOf(i), serial: i + 1, flags: Flags.CLIENT_INITIATED }),
              body,
            ),
            t.port,
          ),
        64,
      );
      assert.ok(got >= count * 0.9, `the target took in ${got} of ${count}`);
    } finally {
      s.close();
    }
    await check('256 MiB in one call');
  });

  test('100,000 source ports', async () => {
    const req = opcode(CB.TellMeAboutYourself.opcode);
    const got = await paced(t, N, async (i) => {
      const s = await socket();
      await send(s, encodePacket(header({ cid: (0x2000 + i * 4) >>> 0 }), req), t.port);
      s.close();
    });
    assert.ok(got >= N * 0.9, `the target took in ${got} of ${N}`);
    await check('100,000 ports');
  });
});
