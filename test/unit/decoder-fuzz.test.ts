// A seeded fuzz run of every decoder a peer can reach: each RPC's IN and OUT parameters (VL, FS,
// CB), whole incoming requests, Rx packets, ACKs, jumbograms, aborts and rxdebug replies. Every
// input either decodes or fails with a typed error; what decodes never took more bytes than the
// definition's bound (the bound served calls are cut at). TSAFS_FUZZ_RUNS=n runs more per decoder.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cbService } from '../../src/rpc/cb.js';
import {
  type AnyRpcDef,
  decodeCall,
  requestBound,
  type Service,
  UnknownOpcodeError,
} from '../../src/rpc/define.js';
import { fsService } from '../../src/rpc/fs.js';
import { vlService } from '../../src/rpc/vl.js';
import { decodeDebugConn, decodeDebugPeer, decodeDebugStats, decodeVersion } from '../../src/rx/debug.js';
import {
  decodeAbortCode,
  decodeAck,
  decodePacket,
  RxPacketError,
  splitJumbogram,
} from '../../src/rx/packet.js';
import { type AnyCodec, XdrError, XdrReader } from '../../src/xdr/codec.js';
import { mulberry32 } from '../sim/rng.js';

const RUNS = Number(process.env.TSAFS_FUZZ_RUNS ?? 300);

/** Words that get past counts and flags often: small numbers half the time, anything otherwise. */
function input(rnd: () => number, maxLen: number, prefix?: Buffer): Buffer {
  const len = Math.floor(rnd() * (maxLen + 1));
  const b = Buffer.alloc(len);
  for (let o = 0; o + 4 <= len; o += 4)
    b.writeUInt32BE(rnd() < 0.5 ? Math.floor(rnd() * 70) : Math.floor(rnd() * 2 ** 32), o);
  for (let o = len - (len % 4); o < len; o++) b[o] = Math.floor(rnd() * 256);
  if (prefix && len >= prefix.length) prefix.copy(b);
  return b;
}

function fuzzCodec(name: string, codec: AnyCodec, seed: number): void {
  const rnd = mulberry32(seed);
  const maxLen = Math.min(codec.maxSize + 16, 1 << 14);
  for (let i = 0; i < RUNS; i++) {
    const b = input(rnd, maxLen);
    const r = new XdrReader(b);
    try {
      codec.decode(r);
    } catch (e) {
      if (e instanceof XdrError) continue;
      assert.fail(`${name}: untyped ${(e as Error)?.name}: ${(e as Error)?.message} on ${b.toString('hex')}`);
    }
    assert.ok(r.offset >= codec.minSize && r.offset <= codec.maxSize, `${name}: took ${r.offset} bytes`);
  }
}

test('every RPC parameter decoder: typed errors only, never beyond its maxSize', () => {
  let seed = 1;
  for (const byOpcode of [vlService.byOpcode, fsService.byOpcode, cbService.byOpcode]) {
    for (const def of byOpcode.values() as Iterable<AnyRpcDef>) {
      fuzzCodec(`${def.name} args`, def.args, seed++);
      fuzzCodec(`${def.name} result`, def.result, seed++);
      if (def.fetchLength) fuzzCodec(`${def.name} length`, def.fetchLength, seed++);
    }
  }
});

function fuzzRequests<D extends Record<string, AnyRpcDef>>(s: Service<D>, rnd: () => number): void {
  const defs: AnyRpcDef[] = [...s.byOpcode.values()];
  for (let i = 0; i < RUNS * defs.length; i++) {
    const def = defs[Math.floor(rnd() * defs.length)]!;
    const op = Buffer.alloc(4);
    op.writeUInt32BE(rnd() < 0.9 ? def.opcode : Math.floor(rnd() * 2 ** 32));
    const b = input(rnd, Math.min(requestBound(def), 1 << 14) + 16, op);
    try {
      const d = decodeCall(s, b);
      if (d.def.split !== 'store')
        assert.ok(b.length <= requestBound(d.def), `${d.def.name}: ${b.length} bytes`);
    } catch (e) {
      if (e instanceof XdrError || e instanceof UnknownOpcodeError) continue;
      assert.fail(`${s.name}: untyped ${(e as Error)?.name}: ${(e as Error)?.message}`);
    }
  }
}

test('whole incoming requests: unknown opcode or typed error; what decodes is within requestBound', () => {
  const rnd = mulberry32(0x5eed);
  fuzzRequests(vlService, rnd);
  fuzzRequests(fsService, rnd);
  fuzzRequests(cbService, rnd);
});

test('Rx packets, ACKs, jumbograms, aborts and rxdebug replies: typed errors only', () => {
  const rnd = mulberry32(0xfa11);
  const typed = (what: string, f: () => unknown, ...kinds: (new (...a: never[]) => Error)[]) => {
    try {
      f();
    } catch (e) {
      if (kinds.some((k) => e instanceof k)) return;
      assert.fail(`${what}: untyped ${(e as Error)?.name}: ${(e as Error)?.message}`);
    }
  };
  for (let i = 0; i < RUNS * 20; i++) {
    const b = input(rnd, 1600);
    // A plausible header half the time: type DATA or ACK, jumbo flag now and then.
    if (b.length >= 28 && rnd() < 0.5) {
      b[20] = rnd() < 0.5 ? 1 : 2;
      b[21] = rnd() < 0.3 ? 0x20 : 0;
    }
    typed(
      'decodePacket',
      () => {
        const p = decodePacket(b);
        if (p.type === 1) splitJumbogram(p);
        if (p.type === 2) decodeAck(p.body);
      },
      RxPacketError,
    );
    typed('decodeAck', () => decodeAck(b), RxPacketError);
    typed('decodeAbortCode', () => decodeAbortCode(b), RxPacketError);
    typed('decodeDebugStats', () => decodeDebugStats(b), RangeError);
    typed('decodeDebugConn', () => decodeDebugConn(b), RangeError);
    typed('decodeDebugPeer', () => decodeDebugPeer(b), RangeError);
    typed('decodeVersion', () => decodeVersion(b));
  }
});
