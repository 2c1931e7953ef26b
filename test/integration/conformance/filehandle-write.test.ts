// FileHandle.write / writev in every argument form node:fs/promises accepts (issue 10's silent
// corruption: a string's position and encoding, the options form), each case run on AFS and on a
// local disk with the same outcome; the AFS bytes are also read through the afsd.fuse referee.
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { test } from 'node:test';
import { adminClient, eventually } from '../helpers/files.js';
import { conformance, conformanceSides, outcome, withFile } from './filehandle-harness.js';

const sides = conformanceSides('fh-write');
const same = (name: string, fn: Parameters<typeof conformance>[2]) => conformance(sides, name, fn);
const buf = (s: string) => Buffer.from(s, 'latin1');

same('write(string, position) writes there and leaves the file position alone', (s) =>
  withFile(s, 'str-pos', '0123456789', 'r+', async (fh) => {
    const a = await fh.write('XY', 2);
    const b = await fh.write('Z'); // the position never moved from 0
    return [a.bytesWritten, a.buffer, b.bytesWritten];
  }),
);

same('write(string, position, encoding) encodes the string', (s) =>
  withFile(s, 'str-hex', '0123456789', 'r+', async (fh) => {
    const a = await fh.write('abcd', 0, 'hex');
    const b = await fh.write('é', 4, 'latin1');
    const c = await fh.write('aGk=', 6, 'base64');
    return [a.bytesWritten, b.bytesWritten, c.bytesWritten];
  }),
);

same('write(string, position, "hex") of odd length is refused before writing', (s) =>
  withFile(s, 'str-hex-odd', '0123456789', 'r+', async (fh) => outcome(() => fh.write('abc', 0, 'hex'))),
);

same(
  'write(string, encoding-in-position-slot) and unknown encodings write utf8 at the current position',
  (s) =>
    withFile(s, 'str-odd-args', '0123456789', 'r+', async (fh) => {
      const a = await fh.write('R', 'latin1' as never);
      const b = await fh.write('ü', 8, 'bogus' as never);
      const c = await fh.write('pq', null, 'utf8');
      return [a.bytesWritten, b.bytesWritten, c.bytesWritten];
    }),
);

same('write(buffer, { offset, length, position }) writes the slice there', (s) =>
  withFile(s, 'buf-opts', '0123456789', 'r+', async (fh) => {
    const a = await fh.write(buf('abcdef'), { offset: 1, length: 3, position: 5 } as never);
    const b = await fh.write(buf('ZZ'), { position: 1 } as never);
    const c = await fh.write(buf('Q'), {} as never); // at the current position, 0
    return [a.bytesWritten, b.bytesWritten, c.bytesWritten];
  }),
);

same('write(buffer, offset, length, position) and its defaults', (s) =>
  withFile(s, 'buf-args', '0123456789', 'r+', async (fh) => {
    const r = [
      (await fh.write(buf('abc'), 1, 2, 7)).bytesWritten,
      (await fh.write(buf('nn'), null)).bytesWritten, // offset 0, whole buffer, current position
      (await fh.write(buf('xyz'), 2)).bytesWritten, // from offset 2 to the end
      (await fh.write(buf('k'), 0, undefined, 9)).bytesWritten,
    ];
    return r;
  }),
);

same('positions that are not non-negative safe integers mean the current position', (s) =>
  withFile(s, 'odd-pos', '0123456789', 'r+', async (fh) => {
    for (const [c, pos] of [
      ['a', -1],
      ['b', -2],
      ['c', 1.5],
      ['d', 3n],
      ['e', '7'],
      ['f', 2 ** 53],
    ] as const)
      await fh.write(buf(c), 0, 1, pos as never);
    return 'ok';
  }),
);

same('typed arrays and DataViews write their bytes', (s) =>
  withFile(s, 'typed', '0123456789', 'r+', async (fh) => {
    const a = await fh.write(new Uint16Array([0x4241, 0x4443]), 0, 4, 1);
    const dv = new DataView(new ArrayBuffer(4));
    dv.setUint8(2, 0x5a);
    const b = await fh.write(dv, 2, 1, 8);
    return [a.bytesWritten, b.bytesWritten];
  }),
);

same('an empty write writes nothing, not even past the end', (s) =>
  withFile(s, 'empty', '0123', 'r+', async (fh) => {
    const a = await fh.write(Buffer.alloc(0), 0, 0, 100);
    const b = await fh.write('', 50);
    return [a.bytesWritten, b.bytesWritten, (await fh.stat()).size];
  }),
);

same('writing past the end leaves a hole of zeros', (s) =>
  withFile(s, 'hole', 'ab', 'r+', async (fh) => (await fh.write('end', 6)).bytesWritten),
);

same('bad arguments fail with Node codes before anything is written', (s) =>
  withFile(s, 'bad-args', '0123456789', 'r+', async (fh) =>
    Promise.all([
      outcome(() => fh.write(buf('S'), -1)),
      outcome(() => fh.write(buf('S'), 2)),
      outcome(() => fh.write(buf('S'), 0, 2)),
      outcome(() => fh.write(buf('S'), 0, -1)),
      outcome(() => fh.write(buf('S'), '0' as never)),
      outcome(() => fh.write(buf('S'), 1.5)),
      outcome(() => fh.write(5 as never)),
      outcome(() => fh.write({ toString: () => 'x' } as never)),
      outcome(() => fh.writev(['ab'] as never)),
      outcome(() => fh.writev('x' as never)),
    ]),
  ),
);

same('append mode: every write goes to the end, positional ones leave the position', (s) =>
  withFile(s, 'append', '0123456789', 'a+', async (fh) => {
    const head = Buffer.alloc(3);
    await fh.read(head, 0, 3, null); // a+ starts reading at 0
    await fh.write('P', 0); // appended; the position stays at 3
    const mid = Buffer.alloc(3);
    await fh.read(mid, 0, 3, null);
    await fh.write('C'); // appended; the position moves to the end
    const tail = await fh.read(Buffer.alloc(3), 0, 3, null);
    return [head.toString(), mid.toString(), tail.bytesRead];
  }),
);

same('writev writes the buffers in order, at a position or the current one', (s) =>
  withFile(s, 'writev', '0123456789', 'r+', async (fh) => {
    const a = await fh.writev([buf('ab'), new Uint8Array([0x63, 0x64])], 3);
    const b = await fh.writev([buf('X'), buf('Y')]);
    const c = await fh.writev([], 3);
    return [a.bytesWritten, b.bytesWritten, c.bytesWritten];
  }),
);

same('a read-only handle refuses writes with EBADF', (s) =>
  withFile(s, 'ro', '0123', 'r', async (fh) =>
    Promise.all([outcome(() => fh.write('x')), outcome(() => fh.writev([buf('x')], 0))]),
  ),
);

same('writes on a closed handle fail with EBADF', async (s) => {
  const p = s.path('closed');
  await s.fs.writeFile(p, 'abc');
  const fh = await s.fs.open(p, 'r+');
  await fh.close();
  return Promise.all([
    outcome(() => fh.write('x')),
    outcome(() => fh.write(buf('x'), 0, 1, 0)),
    outcome(() => fh.writev([buf('x')])),
    s.contents(p),
  ]);
});

// ---------------------------------------------------------------- AFS only

test('writes at the current position land in call order, without awaiting each', async () => {
  const p = sides.afs.path('order');
  const fh = await sides.client.fs.open(p, 'w+');
  try {
    const writes = Array.from({ length: 20 }, (_, i) => fh.write(String.fromCharCode(0x61 + i)));
    await Promise.all(writes);
    assert.equal(await sides.afs.contents(p), 'abcdefghijklmnopqrst');
  } finally {
    await fh.close();
  }
});

test("a handle's write keeps bytes another client appended after it opened the file", async () => {
  const p = sides.afs.path('grown');
  await sides.client.fs.writeFile(p, '0123456789');
  const fh = await sides.client.fs.open(p, 'r+');
  const other = adminClient(sides.scratch.env);
  try {
    await other.fs.appendFile(p, 'x'.repeat(190));
    await fh.write('AB', 0);
    await fh.write('C', 5);
    assert.equal(await sides.afs.contents(p), `AB234C6789${'x'.repeat(190)}`);
  } finally {
    await fh.close();
    await other.close();
  }
});

test('the same through the mount: a file grown by afsd.fuse keeps its tail', async () => {
  const p = sides.afs.path('grown-fuse');
  await sides.client.fs.writeFile(p, '0123456789');
  const fh = await sides.client.fs.open(p, 'r+');
  try {
    await fsp.appendFile(p, 'y'.repeat(50));
    await eventually(async () => assert.equal((await sides.client.fs.stat(p)).size, 60));
    await fh.write('Q', 1);
    assert.equal(await sides.afs.contents(p), `0Q23456789${'y'.repeat(50)}`);
  } finally {
    await fh.close();
  }
});
