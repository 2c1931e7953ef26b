// Readable and Writable streams over AFS files, with backpressure: reads fetch one chunk ahead,
// writes gather up to a chunk and store it in one StoreData64 call.

import { Readable, Writable } from 'node:stream';
import type { AfsFileHandle } from './handle.js';
import type { AfsFs, PathLike } from './promises.js';

export interface ReadStreamOptions {
  start?: number;
  /** Inclusive, as node:fs has it. */
  end?: number;
  highWaterMark?: number;
  signal?: AbortSignal;
}

export interface WriteStreamOptions {
  flags?: string;
  mode?: number;
  start?: number;
  highWaterMark?: number;
  signal?: AbortSignal;
}

// 16 MiB per read: each is four parallel 4 MiB FetchData64 calls (one per channel).
const CHUNK = 16 << 20;

export function createReadStream(fs: AfsFs, path: PathLike, o: ReadStreamOptions = {}): Readable {
  const chunk = o.highWaterMark ?? CHUNK;
  async function* gen(): AsyncGenerator<Buffer> {
    const h = await fs.open(path, 'r', 0o644, { signal: o.signal });
    try {
      let pos = o.start ?? 0;
      const stop = o.end === undefined ? Number.POSITIVE_INFINITY : o.end + 1;
      let ahead: Promise<Buffer> | undefined;
      const read = (p: number) => {
        const n = Math.min(chunk, stop - p);
        if (n <= 0) return Promise.resolve(Buffer.alloc(0));
        const b = Buffer.allocUnsafe(n);
        return h.read(b, 0, n, p, o.signal).then((r) => b.subarray(0, r.bytesRead));
      };
      ahead = read(pos);
      for (;;) {
        const got: Buffer = await ahead;
        if (got.length === 0) return;
        pos += got.length;
        ahead =
          got.length < Math.min(chunk, stop - (pos - got.length)) || pos >= stop ? undefined : read(pos);
        ahead?.catch(() => {});
        yield got;
        if (!ahead) return;
      }
    } finally {
      await h.close();
    }
  }
  return Readable.from(gen(), { objectMode: false, highWaterMark: chunk, signal: o.signal } as never);
}

export function createWriteStream(fs: AfsFs, path: PathLike, o: WriteStreamOptions = {}): Writable {
  const limit = o.highWaterMark ?? 8 << 20;
  let handle: AfsFileHandle | undefined;
  let pos = o.start ?? 0;
  let pending: Buffer[] = [];
  let pendingLen = 0;
  const open = async () => {
    handle ??= await fs.open(path, o.flags ?? 'w', o.mode ?? 0o644, { signal: o.signal });
    return handle;
  };
  const flush = async () => {
    const h = await open();
    if (pendingLen === 0) return;
    const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
    pending = [];
    pendingLen = 0;
    await h.write(data, 0, data.length, pos, o.signal);
    pos += data.length;
  };
  return new Writable({
    highWaterMark: limit,
    signal: o.signal,
    write(chunk: Buffer, _enc, cb) {
      pending.push(chunk);
      pendingLen += chunk.length;
      if (pendingLen < limit) {
        open().then(() => cb(), cb);
        return;
      }
      flush().then(() => cb(), cb);
    },
    final(cb) {
      flush()
        .then(() => handle?.close())
        .then(() => cb(), cb);
    },
    destroy(err, cb) {
      void handle?.close();
      cb(err);
    },
  });
}
