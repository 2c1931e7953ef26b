// Readable and Writable streams over AFS files, with backpressure: reads fetch one chunk ahead,
// writes gather up to a chunk and store it in one StoreData64 call.

import {
  createReadStream as nodeCreateReadStream,
  createWriteStream as nodeCreateWriteStream,
  type ReadStream,
  type WriteStream,
} from 'node:fs';
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
        return h.readAt(b, p, o.signal).then((got) => b.subarray(0, got));
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
    await h.write(data, 0, data.length, pos);
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

// ---------------------------------------------------------------- streams of a FileHandle

export interface HandleReadStreamOptions {
  encoding?: BufferEncoding | null;
  autoClose?: boolean;
  emitClose?: boolean;
  start?: number;
  end?: number;
  highWaterMark?: number;
  signal?: AbortSignal;
}

export interface HandleWriteStreamOptions {
  encoding?: BufferEncoding | null;
  autoClose?: boolean;
  emitClose?: boolean;
  start?: number;
  highWaterMark?: number;
  flush?: boolean;
  signal?: AbortSignal;
}

type Done<T = void> = (err: Error | null, value?: T, extra?: unknown) => void;

/**
 * The descriptor operations node:fs's own ReadStream and WriteStream call (their `fs` option), done
 * by the handle: the streams keep every Node rule (start/end checks, highWaterMark, encoding,
 * autoClose, signal, events) and the bytes go through AFS.
 */
function handleOps(h: AfsFileHandle) {
  const settle = <T>(p: Promise<T>, cb: (err: Error | null, value?: T) => void) =>
    void p.then(
      (v) => cb(null, v),
      (e: Error) => cb(e),
    );
  return {
    read(_fd: number, buf: Buffer, off: number, len: number, pos: number | null, cb: Done<number>) {
      h.read(buf, off, len, pos).then(
        (r) => cb(null, r.bytesRead, buf),
        (e: Error) => cb(e),
      );
    },
    write(_fd: number, buf: Buffer, off: number, len: number, pos: number | null, cb: Done<number>) {
      h.write(buf, off, len, pos).then(
        (r) => cb(null, r.bytesWritten, buf),
        (e: Error) => cb(e),
      );
    },
    writev(_fd: number, bufs: Buffer[], pos: number | null, cb: Done<number>) {
      h.writev(bufs, pos).then(
        (r) => cb(null, r.bytesWritten, bufs),
        (e: Error) => cb(e),
      );
    },
    fsync(_fd: number, cb: Done) {
      settle(h.sync(), cb);
    },
    close(_fd: number, cb: Done) {
      settle(h.close(), cb);
    },
    open(_path: string, _flags: string, _mode: number, cb: Done<number>) {
      cb(null, h.fd);
    },
  };
}

/** fileHandle.createReadStream(): reads from `start` (or the current position), closes the handle at the end unless autoClose is false. */
export function createHandleReadStream(h: AfsFileHandle, o: HandleReadStreamOptions = {}): ReadStream {
  const s = nodeCreateReadStream(null as unknown as string, { ...o, fd: h.fd, fs: handleOps(h) } as never);
  h.once('close', () => s.close());
  return s;
}

export function createHandleWriteStream(h: AfsFileHandle, o: HandleWriteStreamOptions = {}): WriteStream {
  const s = nodeCreateWriteStream(null as unknown as string, { ...o, fd: h.fd, fs: handleOps(h) } as never);
  h.once('close', () => s.close());
  return s;
}
