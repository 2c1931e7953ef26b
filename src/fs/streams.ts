// Read and write streams over AFS files are node:fs's own ReadStream and WriteStream, given the
// descriptor operations (their `fs` option) done by AfsFileHandle: every Node rule (start/end
// checks, highWaterMark, encoding, flags, autoClose, signal, 'open'/'ready'/'close', bytesRead,
// backpressure) holds and the bytes go through AFS. Reads fetch a window ahead of the reader
// (FileHandle.readStreamed) so a 64 KiB highWaterMark does not mean one RPC per 64 KiB.

import {
  createReadStream as nodeCreateReadStream,
  createWriteStream as nodeCreateWriteStream,
  type ReadStream,
  type WriteStream,
} from 'node:fs';
import type { AfsFileHandle } from './handle.js';
import type { AfsFs, PathLike } from './promises.js';

/** How far a stream's reads fetch ahead of its reader. */
const READ_WINDOW = 8 << 20;

interface StreamOptions {
  encoding?: BufferEncoding | null;
  autoClose?: boolean;
  emitClose?: boolean;
  start?: number;
  highWaterMark?: number;
  signal?: AbortSignal;
}

export interface HandleReadStreamOptions extends StreamOptions {
  /** Inclusive, as node:fs has it. */
  end?: number;
}

export interface HandleWriteStreamOptions extends StreamOptions {
  flush?: boolean;
}

export interface ReadStreamOptions extends HandleReadStreamOptions {
  flags?: string;
  mode?: number;
}

export interface WriteStreamOptions extends HandleWriteStreamOptions {
  flags?: string;
  mode?: number;
}

type Done<T = void> = (err: Error | null, value?: T, extra?: unknown) => void;

function settle<T>(p: Promise<T>, cb: Done<T>): void {
  p.then(
    (v) => cb(null, v),
    (e: Error) => cb(e),
  );
}

/** The descriptor operations node:fs's streams call, on the handles `handleOf` finds. */
function descriptorOps(handleOf: (fd: number) => AfsFileHandle, signal?: AbortSignal) {
  return {
    read(
      fd: number,
      buf: Buffer,
      off: number,
      len: number,
      pos: number | null | undefined,
      cb: Done<number>,
    ) {
      const into = buf.subarray(off, off + len);
      handleOf(fd)
        .readStreamed(into, typeof pos === 'number' && pos >= 0 ? pos : null, READ_WINDOW, signal)
        .then(
          (n) => cb(null, n, buf),
          (e: Error) => cb(e),
        );
    },
    write(fd: number, buf: Buffer, off: number, len: number, pos: number | null, cb: Done<number>) {
      handleOf(fd)
        .write(buf, off, len, pos)
        .then(
          (r) => cb(null, r.bytesWritten, buf),
          (e: Error) => cb(e),
        );
    },
    writev(fd: number, bufs: Buffer[], pos: number | null, cb: Done<number>) {
      handleOf(fd)
        .writev(bufs, pos)
        .then(
          (r) => cb(null, r.bytesWritten, bufs),
          (e: Error) => cb(e),
        );
    },
    fsync(fd: number, cb: Done) {
      settle(handleOf(fd).sync(), cb);
    },
    close(fd: number, cb: Done) {
      settle(handleOf(fd).close(), cb);
    },
  };
}

/** fileHandle.createReadStream(): from `start` (or the current position); closes the handle at the end unless autoClose is false. */
export function createHandleReadStream(h: AfsFileHandle, o: HandleReadStreamOptions = {}): ReadStream {
  const ops = {
    ...descriptorOps(() => h, o.signal),
    open: (...a: unknown[]) => (a.at(-1) as Done<number>)(null, h.fd),
  };
  const s = nodeCreateReadStream(null as unknown as string, { ...o, fd: h.fd, fs: ops } as never);
  h.once('close', () => s.close());
  return s;
}

export function createHandleWriteStream(h: AfsFileHandle, o: HandleWriteStreamOptions = {}): WriteStream {
  const ops = {
    ...descriptorOps(() => h, o.signal),
    open: (...a: unknown[]) => (a.at(-1) as Done<number>)(null, h.fd),
  };
  const s = nodeCreateWriteStream(null as unknown as string, { ...o, fd: h.fd, fs: ops } as never);
  h.once('close', () => s.close());
  return s;
}

/** The open(path) the path-based streams do, through client.fs, keeping the handle by its fd. */
function pathOps(fs: AfsFs, signal?: AbortSignal) {
  const handles = new Map<number, AfsFileHandle>();
  const handleOf = (fd: number) => {
    const h = handles.get(fd);
    if (!h) throw new Error(`no AFS file handle with fd ${fd}`);
    return h;
  };
  return {
    ...descriptorOps(handleOf, signal),
    open(path: PathLike, flags: string, mode: number, cb: Done<number>) {
      fs.open(path, flags, mode, { signal }).then((h) => {
        const fd = h.fd;
        handles.set(fd, h);
        h.once('close', () => handles.delete(fd));
        cb(null, fd);
      }, cb);
    },
  };
}

// AFS applies no umask: files are created 0644 unless a mode is given, as a local disk under
// the usual umask 022 would make them.
const DEFAULT_MODE = 0o644;

export function createReadStream(fs: AfsFs, path: PathLike, o: ReadStreamOptions = {}): ReadStream {
  return nodeCreateReadStream(path, {
    ...o,
    mode: o.mode ?? DEFAULT_MODE,
    fs: pathOps(fs, o.signal),
  } as never);
}

export function createWriteStream(fs: AfsFs, path: PathLike, o: WriteStreamOptions = {}): WriteStream {
  return nodeCreateWriteStream(path, {
    ...o,
    mode: o.mode ?? DEFAULT_MODE,
    fs: pathOps(fs, o.signal),
  } as never);
}
