// AfsFileHandle has node:fs/promises' FileHandle shape: TypeScript accepts one where a FileHandle is
// asked for (this file does not compile otherwise), and every method a real FileHandle has is there.
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AfsFileHandle } from '../../src/fs/handle.js';

type Assignable<A, B> = A extends B ? true : never;
const fileHandleShape: Assignable<AfsFileHandle, fsp.FileHandle> = true;

test('every method of a real FileHandle exists on AfsFileHandle', async () => {
  assert.equal(fileHandleShape, true);
  const dir = await fsp.mkdtemp(join(tmpdir(), 'tsafs-shape-'));
  const fh = await fsp.open(join(dir, 'f'), 'w');
  try {
    const names = new Set<string | symbol>();
    for (let o: object | null = fh; o && o !== Object.prototype; o = Object.getPrototypeOf(o))
      for (const k of Reflect.ownKeys(o))
        if ((typeof k === 'string' || k === Symbol.asyncDispose) && typeof (fh as never)[k] === 'function')
          names.add(k);
    // getAsyncId belongs to async_hooks (a native handle's id); Node's internal symbols (transfer
    // to workers, refs) are not API.
    names.delete('getAsyncId');
    names.delete('constructor');
    const missing = [...names].filter((k) => typeof (AfsFileHandle.prototype as never)[k] !== 'function');
    assert.deepEqual(missing, []);
    assert.ok(names.has('readableWebStream') && names.has(Symbol.asyncDispose) && names.has('close'));
  } finally {
    await fh.close();
    await fsp.rm(dir, { recursive: true });
  }
});
