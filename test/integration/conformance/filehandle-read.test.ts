// FileHandle.read / readv / readFile in every argument form node:fs/promises accepts, on AFS and on
// a local disk with the same outcome (issue 10: readFile returned only the length known at open and
// ignored the position; read({ ... }), read() and read(buf, 0, null, 0) were wrong or threw).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminClient } from '../helpers/files.js';
import { conformance, conformanceSides, outcome, withFile } from './filehandle-harness.js';

const sides = conformanceSides('fh-read');
const same = (name: string, fn: Parameters<typeof conformance>[2]) => conformance(sides, name, fn);
const text = (b: ArrayBufferView, n?: number) =>
  Buffer.from(b.buffer, b.byteOffset, n ?? b.byteLength).toString('latin1');

same('readFile() reads the whole file as it is now, after writes through the handle', (s) =>
  withFile(s, 'grown', 'a', 'r+', async (fh) => {
    await fh.write('b'.repeat(110), 1);
    return (await fh.readFile()).toString('latin1');
  }),
);

same('readFile() starts at the current position and moves it to the end', (s) =>
  withFile(s, 'from-pos', '0123456789', 'r', async (fh) => {
    await fh.read(Buffer.alloc(4), 0, 4, null);
    const rest = (await fh.readFile()).toString();
    const again = (await fh.readFile()).length;
    return [rest, again];
  }),
);

same('readFile with an encoding gives a string', (s) =>
  withFile(s, 'enc', 'héllo', 'r', async (fh) => {
    const a = await fh.readFile({ encoding: 'utf8' });
    await fh.read(Buffer.alloc(1), 0, 1, 0); // positional: the position stays at the end
    const b = await fh.readFile('utf8');
    return [typeof a, a, typeof b, b];
  }),
);

same('read() with no arguments fills a new 16 KiB buffer from the current position', (s) =>
  withFile(s, 'default', 'x'.repeat(20000), 'r', async (fh) => {
    const a = await fh.read();
    const b = await fh.read();
    return [a.bytesRead, a.buffer.length, b.bytesRead, text(b.buffer, b.bytesRead).length];
  }),
);

same('read({ buffer, offset, length, position }) and read(buffer, { ... })', (s) =>
  withFile(s, 'opts', '0123456789', 'r', async (fh) => {
    const b1 = Buffer.alloc(5, 0x2e);
    const r1 = await fh.read({ buffer: b1, offset: 1, length: 3, position: 2 });
    const b2 = Buffer.alloc(5, 0x2e);
    const r2 = await fh.read(b2, { offset: 2, position: 7 });
    const r3 = await fh.read({ length: 2, position: 8 });
    const r4 = await fh.read(null as never);
    return [r1.bytesRead, text(b1), r2.bytesRead, text(b2), r3.bytesRead, r3.buffer.length, r4.bytesRead];
  }),
);

same('read(buffer, 0, null, 0), read(buffer) and read(buffer, null)', (s) =>
  withFile(s, 'nulls', '0123456789', 'r', async (fh) => {
    const b1 = Buffer.alloc(5);
    const r1 = await fh.read(b1, 0, null, 0);
    const b2 = Buffer.alloc(3);
    const r2 = await fh.read(b2);
    const b3 = Buffer.alloc(3);
    const r3 = await fh.read(b3, null);
    return [r1.bytesRead, text(b1), r2.bytesRead, text(b2), r3.bytesRead, text(b3)];
  }),
);

same('positions that are not non-negative safe integers read at the current position', (s) =>
  withFile(s, 'odd-pos', '0123456789', 'r', async (fh) => {
    const got: string[] = [];
    for (const pos of [-1, -2, 1.5, '1', 2n, 2 ** 53]) {
      const b = Buffer.alloc(1);
      await fh.read(b, 0, 1, pos as never);
      got.push(b.toString());
    }
    return got;
  }),
);

same('typed arrays, DataViews, reads past the end and of nothing', (s) =>
  withFile(s, 'typed', '0123456789', 'r', async (fh) => {
    const u = new Uint16Array(2);
    const r1 = await fh.read(u, 0, 4, 0);
    const dv = new DataView(new ArrayBuffer(3));
    const r2 = await fh.read(dv, 0, 3, 8);
    const r3 = await fh.read(Buffer.alloc(4), 0, 4, 100);
    const r4 = await fh.read(Buffer.alloc(4), 0, 0, 0);
    const r5 = await fh.read(Buffer.alloc(5), 6, 0, 0);
    return [r1.bytesRead, text(u), r2.bytesRead, text(dv, 2), r3.bytesRead, r4.bytesRead, r5.bytesRead];
  }),
);

same('bad read arguments fail with Node codes', (s) =>
  withFile(s, 'bad', '0123456789', 'r', async (fh) =>
    Promise.all([
      outcome(() => fh.read(Buffer.alloc(0), 0, 1, 0)),
      outcome(() => fh.read(Buffer.alloc(5), 0, -1, 0)),
      outcome(() => fh.read(Buffer.alloc(5), 0, 6, 0)),
      outcome(() => fh.read(Buffer.alloc(5), 6, 1, 0)),
      outcome(() => fh.read(Buffer.alloc(5), 1.5, 1, 0)),
      outcome(() => fh.read(Buffer.alloc(5), '1' as never, 1, 0)),
      outcome(() => fh.read(5 as never)),
      outcome(() => fh.read('x' as never)),
      outcome(() => fh.read({ buffer: 5 } as never)),
      outcome(() => fh.read(new Uint16Array(2), 0, 5, 0)),
      outcome(() => fh.readv([1] as never)),
      outcome(() => fh.readv('x' as never)),
      outcome(() => fh.readFile({ encoding: 'bogus' as never })),
      outcome(() => fh.readFile({ signal: AbortSignal.abort() })),
    ]),
  ),
);

same('readv fills the buffers in order, at a position or the current one', (s) =>
  withFile(s, 'readv', '0123456789', 'r', async (fh) => {
    const a = [Buffer.alloc(2), Buffer.alloc(3)];
    const r1 = await fh.readv(a, 1);
    const b = [Buffer.alloc(4), Buffer.alloc(4)];
    const r2 = await fh.readv(b);
    const c = [Buffer.alloc(4), Buffer.alloc(4)];
    const r3 = await fh.readv(c);
    return [
      r1.bytesRead,
      a.map((x) => text(x)),
      r2.bytesRead,
      b.map((x) => text(x)),
      r3.bytesRead,
      text(c[0]!),
    ];
  }),
);

same('a write-only handle refuses reads with EBADF', (s) =>
  withFile(s, 'wo', '0123', 'a', async (fh) =>
    Promise.all([
      outcome(() => fh.read(Buffer.alloc(1), 0, 1, 0)),
      outcome(() => fh.readv([Buffer.alloc(1)], 0)),
      outcome(() => fh.readFile()),
    ]),
  ),
);

same('reads on a closed handle fail with EBADF', async (s) => {
  const p = s.path('closed');
  await s.fs.writeFile(p, 'abc');
  const fh = await s.fs.open(p, 'r');
  await fh.close();
  return Promise.all([
    outcome(() => fh.read()),
    outcome(() => fh.read(Buffer.alloc(1), 0, 1, 0)),
    outcome(() => fh.readv([Buffer.alloc(1)])),
    outcome(() => fh.readFile()),
  ]);
});

// ---------------------------------------------------------------- AFS only

test('readFile() on an open handle sees what another client wrote since', async () => {
  const p = sides.afs.path('other');
  await sides.client.fs.writeFile(p, 'x');
  const fh = await sides.client.fs.open(p, 'r');
  const other = adminClient(sides.scratch.env);
  try {
    await other.fs.writeFile(p, 'y'.repeat(110));
    assert.equal((await fh.readFile()).toString(), 'y'.repeat(110));
  } finally {
    await fh.close();
    await other.close();
  }
});
