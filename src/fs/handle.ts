// FileHandle: node:fs/promises' FileHandle over one AFS file, every argument form and error as Node
// has them. Writes go to the file server at once (StoreData64, see store.ts), so what a write
// returned is what every other client sees. The file position lives here, as the kernel keeps it
// for a real descriptor: operations at "the current position" run one after another in call order.

import { EventEmitter } from 'node:events';
import { createInterface, type Interface } from 'node:readline';
import { ReadableStream } from 'node:stream/web';
import { DataVersionChangedError } from '../afs/fsclient.js';
import { AfsError } from '../rpc/errors.js';
import { FS } from '../rpc/fs.js';
import { type AFSFetchStatus, type AFSFid, storeStatus } from '../rpc/types.js';
import { type AfsBigIntStats, toBigIntStats } from './bigint-stats.js';
import type { FsContext } from './context.js';
import { abortErrorFor } from './errors.js';
import {
  invalidArgType,
  invalidArgValue,
  isArrayBufferView,
  outOfRange as outOfRangeErr,
  parseFileMode,
  positionOf,
  toUnixSeconds,
  validateBufferArray,
  validateInteger,
  viewBytes,
} from './node-args.js';
import { checkEncoding } from './paths.js';
import { AfsStats } from './stats.js';
import { storeLength, storeRange, storeSync } from './store.js';
import {
  createHandleReadStream,
  createHandleWriteStream,
  type HandleReadStreamOptions,
  type HandleWriteStreamOptions,
} from './streams.js';

export interface OpenFlags {
  read: boolean;
  write: boolean;
  create: boolean;
  exclusive: boolean;
  truncate: boolean;
  append: boolean;
}

/** node:fs flag strings: r, r+, w, wx, w+, wx+, a, ax, a+, ax+ (and the 's' variants). */
export function parseFlags(flags: string): OpenFlags {
  const f = flags.replace('s', '');
  const table: Record<string, OpenFlags> = {
    r: { read: true, write: false, create: false, exclusive: false, truncate: false, append: false },
    'r+': { read: true, write: true, create: false, exclusive: false, truncate: false, append: false },
    w: { read: false, write: true, create: true, exclusive: false, truncate: true, append: false },
    wx: { read: false, write: true, create: true, exclusive: true, truncate: true, append: false },
    xw: { read: false, write: true, create: true, exclusive: true, truncate: true, append: false },
    'w+': { read: true, write: true, create: true, exclusive: false, truncate: true, append: false },
    'wx+': { read: true, write: true, create: true, exclusive: true, truncate: true, append: false },
    a: { read: false, write: true, create: true, exclusive: false, truncate: false, append: true },
    ax: { read: false, write: true, create: true, exclusive: true, truncate: false, append: true },
    'a+': { read: true, write: true, create: true, exclusive: false, truncate: false, append: true },
    'ax+': { read: true, write: true, create: true, exclusive: true, truncate: false, append: true },
  };
  const r = table[f];
  if (!r) throw new AfsError('ERR_INVALID_ARG_VALUE', `invalid open flags '${flags}'`);
  return r;
}

// Descriptor numbers above the kernel's default open-file limit (nr_open, 2^20): a caller handing
// one to node:fs gets EBADF rather than another file's bytes.
const FD_BASE = 2 ** 30;
let fdsGiven = 0;

/** Buffers cannot hold more (node:fs's kIoMaxLength). */
const IO_MAX = 2 ** 31 - 1;

export interface FileReadResult<T extends ArrayBufferView> {
  bytesRead: number;
  buffer: T;
}
export interface FileWriteResult<T> {
  bytesWritten: number;
  buffer: T;
}
export interface ReadPlace {
  offset?: number | null;
  length?: number | null;
  position?: number | bigint | null;
}
type Encoding = BufferEncoding | null | undefined;
type ReadFileOptions = { encoding?: Encoding; flag?: string | number; signal?: AbortSignal } | Encoding;
type WriteFileOptions =
  | {
      encoding?: Encoding;
      mode?: number | string;
      flag?: string | number;
      flush?: boolean;
      signal?: AbortSignal;
    }
  | Encoding;
type WriteFileData =
  | string
  | ArrayBufferView
  | Iterable<string | ArrayBufferView>
  | AsyncIterable<string | ArrayBufferView>;

/** Node's own error for a closed FileHandle: code and syscall, no errno or path. */
function closedError(syscall: string): Error {
  return Object.assign(new Error('file closed'), { code: 'EBADF', syscall });
}

function badDescriptor(syscall: string): AfsError {
  return new AfsError('EBADF', `EBADF: bad file descriptor, ${syscall}`, { syscall });
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortErrorFor(signal);
}

function optionsObject<T extends object>(o: T | Encoding, name = 'options'): T & { encoding?: Encoding } {
  if (o == null) return {} as T;
  if (typeof o === 'string') return { encoding: o } as T & { encoding?: Encoding };
  if (typeof o !== 'object') throw invalidArgType(name, 'one of type string or an instance of Object', o);
  return o as T & { encoding?: Encoding };
}

function isCustomIterable(v: unknown): v is Iterable<unknown> | AsyncIterable<unknown> {
  return (
    v != null &&
    typeof v !== 'string' &&
    !isArrayBufferView(v) &&
    (typeof (v as Iterable<unknown>)[Symbol.iterator] === 'function' ||
      typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function')
  );
}

export class AfsFileHandle extends EventEmitter {
  #fd = FD_BASE + fdsGiven++;
  private position = 0;
  /** Operations at the current position, chained in call order. */
  private cursor: Promise<unknown> = Promise.resolve();
  private readonly inflight = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;
  /** Written since the last sync(). */
  private dirty = false;
  private locked = false;
  /** Bytes a stream fetched past what it was asked for, with the data version they belong to. */
  private ahead: { pos: number; data: Buffer; version: bigint } | undefined;

  constructor(
    private readonly ctx: FsContext,
    readonly cell: string,
    readonly fid: AFSFid,
    private status: AFSFetchStatus,
    readonly flags: OpenFlags,
    readonly path: string,
  ) {
    super();
  }

  /** A number standing for this handle (not a kernel descriptor); -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /** Run an operation of the open handle; close() waits for it. Argument errors become rejections. */
  private run<T>(syscall: string, fn: () => Promise<T>): Promise<T> {
    if (this.#fd === -1) return Promise.reject(closedError(syscall));
    const p = (async () => fn())();
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  /** Run `fn` at the current position once earlier such operations are done; it returns the new one. */
  private atCursor<T>(fn: (pos: number) => Promise<[T, number]>): Promise<T> {
    const r = this.cursor.then(async () => {
      const [value, next] = await fn(this.position);
      this.position = next;
      return value;
    });
    this.cursor = r.catch(() => {});
    return r;
  }

  private opts(syscall: string, signal?: AbortSignal) {
    return { syscall, path: this.path, signal };
  }

  private async afsCell() {
    return this.ctx.cell(this.cell);
  }

  // ---------------------------------------------------------------- reading

  /** Bytes at `pos` into `into` (all of it unless the file ends first); returns how many. */
  async readAt(into: Buffer, pos: number, signal?: AbortSignal, syscall = 'read'): Promise<number> {
    if (into.length === 0) return 0;
    const cell = await this.afsCell();
    let got = 0;
    const r = await this.ctx.files.fetchData(
      cell,
      this.fid,
      pos,
      into.length,
      (c) => {
        const n = Math.min(c.length, into.length - got);
        c.copy(into, got, 0, n);
        got += n;
      },
      this.opts(syscall, signal),
    );
    this.status = r.status;
    return got;
  }

  /** Read at `pos`, or at the current position (moving it) when `pos` is null. */
  private readPlaced(into: Buffer, pos: number | null, syscall: string): Promise<number> {
    if (!this.flags.read) return Promise.reject(badDescriptor(syscall));
    if (pos !== null) return this.readAt(into, pos, undefined, syscall);
    return this.atCursor(async (p) => {
      const n = await this.readAt(into, p, undefined, syscall);
      return [n, p + n];
    });
  }

  read<T extends ArrayBufferView = Buffer>(
    buffer: T,
    offset?: number | null,
    length?: number | null,
    position?: number | bigint | null,
  ): Promise<FileReadResult<T>>;
  read<T extends ArrayBufferView = Buffer>(buffer: T, options?: ReadPlace): Promise<FileReadResult<T>>;
  read<T extends ArrayBufferView = Buffer>(options?: ReadPlace & { buffer?: T }): Promise<FileReadResult<T>>;
  read(
    bufferOrOptions?: unknown,
    offsetOrOptions?: unknown,
    length?: unknown,
    position?: unknown,
  ): Promise<FileReadResult<ArrayBufferView>> {
    return this.run('read', async () => {
      let buffer = bufferOrOptions;
      let offset = offsetOrOptions;
      if (!isArrayBufferView(buffer)) {
        if (
          bufferOrOptions !== undefined &&
          (typeof bufferOrOptions !== 'object' || Array.isArray(bufferOrOptions))
        )
          throw invalidArgType('options', 'of type object', bufferOrOptions);
        const o = (bufferOrOptions ?? {}) as ReadPlace & { buffer?: unknown };
        buffer = o.buffer ?? Buffer.alloc(16384);
        if (!isArrayBufferView(buffer))
          throw invalidArgType('buffer', 'an instance of Buffer, TypedArray, or DataView', buffer);
        offset = o.offset ?? 0;
        length = o.length ?? buffer.byteLength - (offset as number);
        position = o.position ?? null;
      } else if (offset !== null && typeof offset === 'object') {
        const o = offset as ReadPlace;
        offset = o.offset ?? 0;
        length = o.length ?? buffer.byteLength - (offset as number);
        position = o.position ?? null;
      }
      const view = buffer as ArrayBufferView;
      if (offset == null) offset = 0;
      else validateInteger(offset, 'offset', 0);
      length ??= view.byteLength - (offset as number);
      validateInteger(length, 'length', Number.MIN_SAFE_INTEGER);
      if (length === 0) return { bytesRead: 0, buffer: view };
      if (view.byteLength === 0) throw invalidArgValue('buffer', view, 'is empty and cannot be written');
      checkReadRange(offset as number, length, view.byteLength);
      const into = viewBytes(view, offset as number, length);
      const bytesRead = await this.readPlaced(into, positionOf(position), 'read');
      return { bytesRead, buffer: view };
    });
  }

  readv<T extends readonly ArrayBufferView[]>(
    buffers: T,
    position?: number | null,
  ): Promise<{ bytesRead: number; buffers: T }> {
    return this.run('readv', async () => {
      validateBufferArray(buffers);
      const total = buffers.reduce((n, b) => n + b.byteLength, 0);
      const tmp = Buffer.allocUnsafe(total);
      const bytesRead = await this.readPlaced(tmp, positionOf(position), 'read');
      let off = 0;
      for (const b of buffers) {
        if (off >= bytesRead) break;
        off += tmp.copy(viewBytes(b), 0, off, Math.min(bytesRead, off + b.byteLength));
      }
      return { bytesRead, buffers };
    });
  }

  /** From the current position to the end of the file as it is now (the position moves to the end). */
  readFile(
    options?: { encoding?: null; flag?: string | number; signal?: AbortSignal } | null,
  ): Promise<Buffer<ArrayBuffer>>;
  readFile(
    options: { encoding: BufferEncoding; flag?: string | number; signal?: AbortSignal } | BufferEncoding,
  ): Promise<string>;
  readFile(options?: ReadFileOptions): Promise<string | Buffer<ArrayBuffer>>;
  readFile(options?: ReadFileOptions): Promise<string | Buffer<ArrayBuffer>> {
    return this.run('readFile', async () => {
      const o = optionsObject(options);
      checkEncoding(o.encoding);
      checkAborted(o.signal);
      if (!this.flags.read) throw badDescriptor('read');
      const buf = await this.atCursor(async (p) => {
        const got = await this.readToEnd(p, o.signal);
        return [got, p + got.length];
      });
      checkAborted(o.signal);
      return o.encoding && o.encoding !== ('buffer' as string) ? buf.toString(o.encoding) : buf;
    });
  }

  private async readToEnd(pos: number, signal?: AbortSignal): Promise<Buffer<ArrayBuffer>> {
    const cell = await this.afsCell();
    const { status } = await this.ctx.files.fetchStatus(cell, this.fid, this.opts('read', signal));
    if (status.length - pos > IO_MAX) {
      const e = new RangeError(`File size (${status.length - pos}) is greater than 2 GiB`) as RangeError & {
        code: string;
      };
      e.code = 'ERR_FS_FILE_TOO_LARGE';
      throw e;
    }
    // fetchData never mixes data versions; a file changed after some bytes came is read again.
    let parts: Buffer[] = [];
    for (let attempt = 1; ; attempt++) {
      parts = [];
      try {
        const r = await this.ctx.files.fetchData(
          cell,
          this.fid,
          pos,
          Number.MAX_SAFE_INTEGER - pos,
          (c) => void parts.push(c),
          this.opts('read', signal),
        );
        this.status = r.status;
        break;
      } catch (e) {
        if (!(e instanceof DataVersionChangedError) || attempt === 3) throw e;
      }
    }
    return Buffer.concat(parts);
  }

  /**
   * For streams: like read(), but fetching `window` bytes at a time (a call per 64 KiB would be
   * slow) and serving the next reads from them while the file's data version, as the callback
   * promise vouches for it, is the one they were read at.
   */
  readStreamed(into: Buffer, position: number | null, window: number, signal?: AbortSignal): Promise<number> {
    return this.run('read', async () => {
      if (!this.flags.read) throw badDescriptor('read');
      const at = async (p: number) => {
        const hit = await this.fromAhead(into, p, signal);
        if (hit !== undefined) return hit;
        const size = Math.max(into.length, Math.min(window, this.status.length - p));
        const data = Buffer.allocUnsafe(size);
        const n = await this.readAt(data, p, signal);
        const got = data.subarray(0, n);
        this.ahead = n > into.length ? { pos: p, data: got, version: this.status.dataVersion } : undefined;
        return got.copy(into, 0, 0, Math.min(n, into.length));
      };
      if (position !== null) return at(position);
      return this.atCursor(async (p) => {
        const n = await at(p);
        return [n, p + n];
      });
    });
  }

  private async fromAhead(into: Buffer, p: number, signal?: AbortSignal): Promise<number | undefined> {
    const a = this.ahead;
    if (!a || p < a.pos || p >= a.pos + a.data.length) return undefined;
    const cell = await this.afsCell();
    const { status } = await this.ctx.files.fetchStatus(cell, this.fid, this.opts('read', signal));
    if (status.dataVersion !== a.version || this.ahead !== a) {
      this.ahead = undefined;
      return undefined;
    }
    return a.data.copy(into, 0, p - a.pos, Math.min(a.data.length, p - a.pos + into.length));
  }

  readLines(options?: HandleReadStreamOptions): Interface {
    return createInterface({ input: this.createReadStream(options), crlfDelay: Number.POSITIVE_INFINITY });
  }

  createReadStream(options?: HandleReadStreamOptions) {
    return createHandleReadStream(this, options);
  }

  createWriteStream(options?: HandleWriteStreamOptions) {
    return createHandleWriteStream(this, options);
  }

  /** A web ReadableStream of the bytes from the current position to the end of the file. */
  readableWebStream(options: { type?: 'bytes' } = {}): ReadableStream<Uint8Array> {
    if (this.#fd === -1) throw invalidState('The FileHandle is closed');
    if (this.closing) throw invalidState('The FileHandle is closing');
    if (this.locked) throw invalidState('The FileHandle is locked');
    if (options.type !== undefined && typeof options.type !== 'string')
      throw invalidArgType('options.type', 'of type string', options.type);
    this.locked = true;
    const unlock = () => {
      this.locked = false;
    };
    return new ReadableStream({
      type: 'bytes',
      autoAllocateChunkSize: 16384,
      pull: async (controller) => {
        const req = controller.byobRequest!;
        const view = req.view!;
        const n = await this.read(view as Uint8Array, 0, view.byteLength, null);
        if (n.bytesRead === 0) {
          unlock();
          controller.close();
        }
        req.respond(n.bytesRead);
      },
      cancel: unlock,
    });
  }

  // ---------------------------------------------------------------- writing

  /** Store `data` at `pos`, or at the current position (moving it) when null; append mode appends. */
  private writePlaced(data: Buffer, pos: number | null, syscall: string): Promise<number> {
    if (!this.flags.write) return Promise.reject(badDescriptor(syscall));
    if (data.length === 0) return Promise.resolve(0);
    this.ahead = undefined;
    const store = async (at: number) => {
      // As Linux does for O_APPEND, every write goes to the end, whatever position it names.
      this.dirty = true;
      const r = await storeRange(
        this.ctx,
        this.cell,
        this.fid,
        this.flags.append ? 'end' : at,
        data,
        this.opts(syscall),
      );
      this.status = r.status;
      return r.pos + data.length;
    };
    if (pos !== null) return store(pos).then(() => data.length);
    return this.atCursor(async (p) => [data.length, await store(p)]);
  }

  write<T extends ArrayBufferView>(
    buffer: T,
    offset?: number | null,
    length?: number | null,
    position?: number | null,
  ): Promise<FileWriteResult<T>>;
  write<T extends ArrayBufferView>(
    buffer: T,
    options?: { offset?: number; length?: number; position?: number | null },
  ): Promise<FileWriteResult<T>>;
  write(
    data: string,
    position?: number | null,
    encoding?: BufferEncoding | null,
  ): Promise<FileWriteResult<string>>;
  write(
    data: unknown,
    offsetOrOptions?: unknown,
    length?: unknown,
    position?: unknown,
  ): Promise<FileWriteResult<unknown>> {
    return this.run('write', async () => {
      if (isArrayBufferView(data)) {
        if (data.byteLength === 0) return { bytesWritten: 0, buffer: data };
        let offset = offsetOrOptions;
        if (offset !== null && typeof offset === 'object') {
          const o = offset as { offset?: number; length?: number; position?: number | null };
          offset = o.offset ?? 0;
          length = o.length ?? data.byteLength - (offset as number);
          position = o.position ?? null;
        }
        if (offset == null) offset = 0;
        else validateInteger(offset, 'offset', 0);
        if (typeof length !== 'number') length = data.byteLength - (offset as number);
        checkWriteRange(offset as number, length as number, data.byteLength);
        const bytes = viewBytes(data, offset as number, length as number);
        const bytesWritten = await this.writePlaced(bytes, positionOf(position), 'write');
        return { bytesWritten, buffer: data };
      }
      if (typeof data !== 'string')
        throw invalidArgType(
          'buffer',
          'of type string or an instance of Buffer, TypedArray, or DataView',
          data,
        );
      // write(string, position, encoding): an unknown encoding is utf8, as in Node's binding.
      const enc = typeof length === 'string' && Buffer.isEncoding(length) ? length : 'utf8';
      if (enc.toLowerCase() === 'hex' && data.length % 2 !== 0)
        throw invalidArgValue('encoding', length, `is invalid for data of length ${data.length}`);
      const bytesWritten = await this.writePlaced(
        Buffer.from(data, enc),
        positionOf(offsetOrOptions),
        'write',
      );
      return { bytesWritten, buffer: data };
    });
  }

  writev<T extends readonly ArrayBufferView[]>(
    buffers: T,
    position?: number | null,
  ): Promise<{ bytesWritten: number; buffers: T }> {
    return this.run('writev', async () => {
      validateBufferArray(buffers);
      const data = Buffer.concat(buffers.map((b) => viewBytes(b)));
      const bytesWritten = await this.writePlaced(data, positionOf(position), 'write');
      return { bytesWritten, buffers };
    });
  }

  /**
   * Write `data` from the current position on (node:fs: a handle's writeFile neither truncates nor
   * rewinds). Strings, bytes, and iterables or async iterables (streams) of either.
   */
  writeFile(data: WriteFileData, options?: WriteFileOptions): Promise<void> {
    return this.run('writeFile', () => this.writeAll(data, options));
  }

  /** The same as writeFile() on a handle: the mode and flags are the handle's own. */
  appendFile(data: WriteFileData, options?: WriteFileOptions): Promise<void> {
    return this.run('writeFile', () => this.writeAll(data, options));
  }

  private async writeAll(data: WriteFileData, options: WriteFileOptions): Promise<void> {
    const o = optionsObject(options);
    checkEncoding(o.encoding);
    const enc = (o.encoding || 'utf8') as BufferEncoding;
    if (!isArrayBufferView(data) && !isCustomIterable(data) && typeof data !== 'string')
      throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
    checkAborted(o.signal);
    const put = async (chunk: unknown) => {
      const bytes = isArrayBufferView(chunk)
        ? viewBytes(chunk)
        : typeof chunk === 'string'
          ? Buffer.from(chunk, enc)
          : undefined;
      if (!bytes)
        throw invalidArgType(
          'data',
          'of type string or an instance of Buffer, TypedArray, or DataView',
          chunk,
        );
      await this.writePlaced(bytes, null, 'write');
      checkAborted(o.signal);
    };
    if (!isCustomIterable(data)) return put(data);
    for await (const chunk of data as AsyncIterable<unknown>) {
      checkAborted(o.signal);
      await put(chunk);
    }
  }

  async truncate(len: number = 0): Promise<void> {
    return this.run('ftruncate', async () => {
      validateInteger(len, 'len');
      if (!this.flags.write)
        throw new AfsError('EINVAL', 'EINVAL: invalid argument, ftruncate', { syscall: 'ftruncate' });
      this.dirty = true;
      this.ahead = undefined;
      this.status = await storeLength(
        this.ctx,
        this.cell,
        this.fid,
        Math.max(0, len),
        this.opts('ftruncate'),
      );
    });
  }

  // ---------------------------------------------------------------- status

  stat(options?: { bigint?: false }): Promise<AfsStats>;
  stat(options: { bigint: true }): Promise<AfsBigIntStats>;
  stat(options?: { bigint?: boolean }): Promise<AfsStats | AfsBigIntStats>;
  stat(options?: { bigint?: boolean }): Promise<AfsStats | AfsBigIntStats> {
    return this.run('fstat', async () => {
      const cell = await this.afsCell();
      this.status = (await this.ctx.files.fetchStatus(cell, this.fid, this.opts('fstat'))).status;
      const st = new AfsStats(this.cell, this.fid, this.status);
      return options?.bigint ? toBigIntStats(st) : st;
    });
  }

  private async storeStatus(syscall: string, set: Parameters<typeof storeStatus>[0]): Promise<void> {
    const cell = await this.afsCell();
    const r = await this.ctx.files.call(
      cell,
      this.fid.volume,
      FS.StoreStatus,
      { fid: this.fid, storeStatus: storeStatus(set) },
      this.opts(syscall),
    );
    this.status = r.status;
  }

  chmod(mode: number | string): Promise<void> {
    return this.run('fchmod', async () => {
      const m = parseFileMode(mode, 'mode');
      await this.storeStatus('fchmod', { mode: m & 0o7777 });
    });
  }

  /** Owners are PTS ids; -1 leaves one unchanged. Only a system:administrators member may give files away. */
  chown(uid: number, gid: number): Promise<void> {
    return this.run('fchown', async () => {
      validateInteger(uid, 'uid', -1, 2 ** 32 - 1);
      validateInteger(gid, 'gid', -1, 2 ** 32 - 1);
      const set: { owner?: number; group?: number } = {};
      if (uid !== -1) set.owner = uid;
      if (gid !== -1) set.group = gid;
      if (set.owner === undefined && set.group === undefined) return;
      try {
        await this.storeStatus('fchown', set);
      } catch (e) {
        // The file server refuses with EACCES; chown(2) says EPERM for the same case.
        if (!(e instanceof AfsError && e.code === 'EACCES')) throw e;
        throw new AfsError('EPERM', 'EPERM: operation not permitted, fchown', {
          syscall: 'fchown',
          afsCode: e.afsCode,
          afsName: e.afsName,
          cause: e,
        });
      }
    });
  }

  /** AFS keeps one time, the modification time, in whole seconds; atime is not stored. */
  utimes(atime: Date | number | string, mtime: Date | number | string): Promise<void> {
    return this.run('futimes', async () => {
      toUnixSeconds(atime, 'atime');
      const t = Math.floor(toUnixSeconds(mtime, 'mtime'));
      if (t < 0 || t > 0xffffffff)
        throw new AfsError('EINVAL', 'EINVAL: invalid argument, futime (AFS keeps times from 1970 to 2106)', {
          syscall: 'futime',
        });
      await this.storeStatus('futime', { modTime: t });
    });
  }

  /**
   * Every write issued before this call has reached the file server (and, if this handle wrote,
   * the server is asked to fsync the file).
   */
  sync(): Promise<void> {
    return this.run('fsync', () => this.flush('fsync'));
  }

  datasync(): Promise<void> {
    return this.run('fdatasync', () => this.flush('fdatasync'));
  }

  private async flush(syscall: string): Promise<void> {
    await Promise.allSettled([...this.inflight]);
    await this.cursor;
    if (!this.dirty) return;
    this.dirty = false;
    this.status = await storeSync(this.ctx, this.cell, this.fid, this.opts(syscall));
  }

  // ---------------------------------------------------------------- closing

  /** Emits 'close' at once; resolves when the operations already started have finished. */
  close(): Promise<void> {
    if (this.#fd === -1) return this.closing ?? Promise.resolve();
    this.#fd = -1;
    const closing = Promise.allSettled([...this.inflight]).then(() => {
      if (this.closing === closing) this.closing = undefined;
    });
    this.closing = closing;
    this.emit('close');
    return closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function invalidState(message: string): Error {
  const e = new Error(`Invalid state: ${message}`) as Error & { code: string };
  e.code = 'ERR_INVALID_STATE';
  return e;
}

function checkReadRange(offset: number, length: number, size: number): void {
  if (length < 0) throw outOfRangeErr('length', '>= 0', length);
  if (offset + length > size) throw outOfRangeErr('length', `<= ${size - offset}`, length);
}

function checkWriteRange(offset: number, length: number, size: number): void {
  if (offset > size) throw outOfRangeErr('offset', `<= ${size}`, offset);
  if (length > size - offset) throw outOfRangeErr('length', `<= ${size - offset}`, length);
  if (length < 0) throw outOfRangeErr('length', '>= 0', length);
  validateInteger(length, 'length', 0, 2 ** 31 - 1);
}
