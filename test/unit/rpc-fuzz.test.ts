// A seeded fuzz run of every RPC decoder (requests and replies of VL, FS and CB): mutated inputs
// either decode or fail with XdrError, never another exception, and whatever decodes fits the
// definition's declared size bounds (minSize..maxSize), the bound a reply is held to as it arrives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CB } from '../../src/rpc/cb.js';
import type { AnyRpcDef } from '../../src/rpc/define.js';
import { FS } from '../../src/rpc/fs.js';
import { VL } from '../../src/rpc/vl.js';
import { type Codec, decode, XdrError } from '../../src/xdr/codec.js';
import { rng } from '../helpers/relay.js';

const DEFS: AnyRpcDef[] = [...Object.values(FS), ...Object.values(VL), ...Object.values(CB)];
const ROUNDS = 1000;

/** Zeros (every count 0) with a few words set to small counts, big counts or random values. */
function mutated(next: () => number, length: number): Buffer {
  const b = Buffer.alloc(length & ~3);
  const words = b.length / 4;
  const edits = Math.floor(next() * 8);
  for (let k = 0; k < edits && words > 0; k++) {
    const at = 4 * Math.floor(next() * words);
    const kind = next();
    const v =
      kind < 0.5
        ? Math.floor(next() * 60)
        : kind < 0.75
          ? 0xffff_ffff - Math.floor(next() * 4)
          : Math.floor(next() * 2 ** 32);
    b.writeUInt32BE(v >>> 0, at);
  }
  return b;
}

test('every RPC decoder: only XdrError, and what decodes lies within minSize..maxSize', () => {
  const next = rng(9);
  let decoded = 0;
  let refused = 0;
  for (const def of DEFS) {
    for (const [side, codec] of [
      ['args', def.args],
      ['result', def.result],
    ] as [string, Codec<unknown, never>][]) {
      const span = Math.min(codec.maxSize, 64 << 10) + 64;
      for (let i = 0; i < ROUNDS; i++) {
        const lengths = [codec.minSize, Math.floor(next() * span), codec.maxSize + 4];
        const buf = mutated(next, lengths[i % 3]!);
        try {
          decode(codec, buf);
          decoded++;
          assert.ok(
            buf.length >= codec.minSize && buf.length <= codec.maxSize,
            `${def.name} ${side}: ${buf.length} bytes decoded`,
          );
        } catch (e) {
          if (!(e instanceof XdrError)) assert.fail(`${def.name} ${side}: ${(e as Error).stack}`);
          refused++;
        }
      }
    }
  }
  // Both outcomes were exercised (a fuzz that only ever refuses proves little).
  assert.ok(decoded > DEFS.length, `decoded ${decoded}`);
  assert.ok(refused > DEFS.length, `refused ${refused}`);
});
