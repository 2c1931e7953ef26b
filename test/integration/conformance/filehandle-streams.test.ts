// A FileHandle's streams (createReadStream, createWriteStream, readLines, readableWebStream) on AFS
// and on a local disk with the same outcome; AFS bytes checked through afsd.fuse.
import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs';
import { text as streamText } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { conformance, conformanceSides, outcome, type Side, withFile } from './filehandle-harness.js';

const sides = conformanceSides('fh-streams');
const same = (name: string, fn: Parameters<typeof conformance>[2]) => conformance(sides, name, fn);

async function chunks(s: AsyncIterable<Buffer | string>): Promise<string[]> {
  const out: string[] = [];
  for await (const c of s) out.push(typeof c === 'string' ? c : c.toString('latin1'));
  return out;
}

same(
  'createReadStream: start/end inclusive, highWaterMark, encoding; the handle closes at the end',
  async (s) => {
    const p = s.path('rs');
    await s.fs.writeFile(p, '0123456789abcdef');
    const fh = await s.fs.open(p, 'r');
    const got = await chunks(fh.createReadStream({ start: 2, end: 11, highWaterMark: 4, encoding: 'utf8' }));
    return [got, fh.fd];
  },
);

same(
  'createReadStream without start reads from the current position; autoClose false keeps the handle',
  (s) =>
    withFile(s, 'rs-pos', '0123456789', 'r', async (fh) => {
      await fh.read(Buffer.alloc(3), 0, 3, null);
      const got = await chunks(fh.createReadStream({ autoClose: false }));
      return [got.join(''), fh.fd >= 0];
    }),
);

// Node 20's own FileHandle streams fail on these with an internal TypeError after leaving the
// handle referenced; tsafs gives the errors node:fs's ReadStream gives for a descriptor.
test('createReadStream refuses bad ranges with ERR_OUT_OF_RANGE / ERR_INVALID_ARG_TYPE', async () => {
  const p = sides.afs.path('rs-bad');
  await sides.client.fs.writeFile(p, '0123');
  const fh = await sides.client.fs.open(p, 'r');
  try {
    assert.throws(() => fh.createReadStream({ start: -1 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => fh.createReadStream({ start: 5, end: 2 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => fh.createReadStream({ end: 'x' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  } finally {
    await fh.close();
  }
});

same('createWriteStream writes at start and closes the handle when it finishes', async (s) => {
  const p = s.path('ws');
  await s.fs.writeFile(p, '0123456789');
  const fh = await s.fs.open(p, 'r+');
  const ws = fh.createWriteStream({ start: 3 });
  await pipeline(
    (async function* () {
      yield 'ab';
      yield Buffer.from('cd');
    })(),
    ws,
  );
  return [ws.bytesWritten, fh.fd, await s.contents(p)];
});

same('createWriteStream without start writes at the current position', (s) =>
  withFile(s, 'ws-pos', '0123456789', 'r+', async (fh) => {
    await fh.read(Buffer.alloc(5), 0, 5, null);
    const ws = fh.createWriteStream({ autoClose: false });
    ws.write('X');
    await new Promise<void>((resolve) => ws.end('Y', () => resolve()));
    const open = fh.fd >= 0;
    // Node's handle.close() waits for a write stream that is still referenced: let it go first.
    await new Promise<void>((resolve) => ws.destroy().once('close', () => resolve()));
    return [open, ws.bytesWritten];
  }),
);

same('readLines splits on \\n and \\r\\n', (s) =>
  withFile(s, 'lines', 'one\ntwo\r\nthree\n\nfive', 'r', async (fh) => {
    const lines: string[] = [];
    for await (const l of fh.readLines({ autoClose: false })) lines.push(l);
    return lines;
  }),
);

same('readableWebStream gives the bytes from the current position; a second one is refused', (s) =>
  withFile(s, 'web', 'hello web stream', 'r', async (fh) => {
    await fh.read(Buffer.alloc(6), 0, 6, null);
    const rs = fh.readableWebStream() as ReadableStream<Uint8Array>;
    const second = await outcome(async () => fh.readableWebStream());
    const got = await streamText(rs as never);
    return [got, second];
  }),
);

// ---------------------------------------------------------------- by path (node:fs's createReadStream/createWriteStream)

type PathStreams = Pick<typeof import('node:fs'), 'createReadStream' | 'createWriteStream'>;
const streamsOf = (s: Side): PathStreams =>
  s.kind === 'afs' ? (sides.client.fs as unknown as PathStreams) : nodeFs;

function events(e: NodeJS.EventEmitter, names: string[]): string[] {
  const seen: string[] = [];
  for (const n of names) e.on(n, () => seen.push(n));
  return seen;
}

same('a path read stream: start/end, highWaterMark, encoding, its events, bytesRead and path', async (s) => {
  const p = s.path('prs');
  await s.fs.writeFile(p, '0123456789abcdef');
  const rs = streamsOf(s).createReadStream(p, { start: 1, end: 12, highWaterMark: 5, encoding: 'latin1' });
  const seen = events(rs, ['open', 'ready', 'end', 'close']);
  const got = await chunks(rs);
  await new Promise((r) => setImmediate(r));
  return [got, seen, rs.bytesRead, rs.path === p, rs.pending];
});

same('a path write stream: flags r+ with start, a for append, bytesWritten and its events', async (s) => {
  const p = s.path('pws');
  await s.fs.writeFile(p, '0123456789');
  const ws = streamsOf(s).createWriteStream(p, { flags: 'r+', start: 4 });
  const seen = events(ws, ['open', 'ready', 'finish', 'close']);
  await pipeline(['ab', 'cd'], ws);
  const ap = streamsOf(s).createWriteStream(p, { flags: 'a' });
  await pipeline(['++'], ap);
  return [seen, ws.bytesWritten, ap.bytesWritten, ws.path === p, await s.contents(p)];
});

same('path streams fail the Node way: missing file, bad range, aborted signal', async (s) => {
  const missing = outcome(() => chunks(streamsOf(s).createReadStream(s.path('none'))));
  const range = outcome(async () => streamsOf(s).createReadStream(s.path('none'), { start: 3, end: 1 }));
  const p = s.path('abort');
  await s.fs.writeFile(p, 'x'.repeat(100));
  const aborted = outcome(() => chunks(streamsOf(s).createReadStream(p, { signal: AbortSignal.abort() })));
  const noDir = outcome(() => pipeline(['x'], streamsOf(s).createWriteStream(`${s.path('nodir')}/f`)));
  return Promise.all([missing, range, aborted, noDir]);
});
