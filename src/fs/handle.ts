// FileHandle: positional reads and writes on one AFS file. Writes go to the file server at once
// (StoreData64), so what a write returned is what every other client sees; the handle tracks the
// length from each reply.

import { AfsError } from '../rpc/errors.js';
import type { AFSFetchStatus, AFSFid } from '../rpc/types.js';
import type { FsContext } from './context.js';
import type { AfsFs } from './promises.js';
import { AfsStats } from './stats.js';

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

export class AfsFileHandle {
  private closed = false;
  private position = 0;

  constructor(
    private readonly fs: AfsFs,
    private readonly ctx: FsContext,
    readonly cell: string,
    readonly fid: AFSFid,
    private status: AFSFetchStatus,
    readonly flags: OpenFlags,
    readonly path: string,
  ) {
    if (flags.append) this.position = status.length;
  }

  private check(op: string, write: boolean): void {
    if (this.closed)
      throw new AfsError('EBADF', `EBADF: file handle closed, ${op}`, { syscall: op, path: this.path });
    if (write && !this.flags.write)
      throw new AfsError('EBADF', `EBADF: not open for writing, ${op}`, { syscall: op, path: this.path });
    if (!write && !this.flags.read)
      throw new AfsError('EBADF', `EBADF: not open for reading, ${op}`, { syscall: op, path: this.path });
  }

  get length(): number {
    return this.status.length;
  }

  async read(
    buffer: Buffer,
    offset = 0,
    length = buffer.length - offset,
    position: number | null = null,
    signal?: AbortSignal,
  ): Promise<{ bytesRead: number; buffer: Buffer }> {
    this.check('read', false);
    const pos = position ?? this.position;
    const n = Math.max(0, Math.min(length, buffer.length - offset));
    if (n === 0) return { bytesRead: 0, buffer };
    const cell = await this.ctx.cell(this.cell);
    let got = 0;
    const r = await this.ctx.files.fetchData(
      cell,
      this.fid,
      pos,
      n,
      (c) => {
        c.copy(buffer, offset + got);
        got += c.length;
      },
      { syscall: 'read', path: this.path, signal },
    );
    this.status = r.status;
    if (position === null) this.position += got;
    return { bytesRead: got, buffer };
  }

  async write(
    data: Buffer | string,
    offset = 0,
    length?: number,
    position: number | null = null,
    signal?: AbortSignal,
  ): Promise<{ bytesWritten: number; buffer: Buffer | string }> {
    this.check('write', true);
    const buf =
      typeof data === 'string'
        ? Buffer.from(data)
        : data.subarray(offset, offset + (length ?? data.length - offset));
    const pos = this.flags.append ? this.status.length : (position ?? this.position);
    this.status = await this.fs.storeAt(
      this.cell,
      this.fid,
      pos,
      buf,
      Math.max(this.status.length, pos + buf.length),
      this.path,
      signal,
    );
    if (position === null || this.flags.append) this.position = pos + buf.length;
    return { bytesWritten: buf.length, buffer: data };
  }

  async truncate(len = 0, signal?: AbortSignal): Promise<void> {
    this.check('ftruncate', true);
    // The write position is the new length, as kAFS's setattr does: the server sets the length to
    // pos+0 when that grows the file and to fileLength when it shrinks it.
    this.status = await this.fs.storeAt(this.cell, this.fid, len, Buffer.alloc(0), len, this.path, signal);
  }

  async stat(signal?: AbortSignal): Promise<AfsStats> {
    if (this.closed)
      throw new AfsError('EBADF', 'EBADF: file handle closed, fstat', { syscall: 'fstat', path: this.path });
    const cell = await this.ctx.cell(this.cell);
    this.status = (
      await this.ctx.files.fetchStatus(cell, this.fid, { syscall: 'fstat', path: this.path, signal })
    ).status;
    return new AfsStats(this.cell, this.fid, this.status);
  }

  async readFile(signal?: AbortSignal): Promise<Buffer> {
    this.check('read', false);
    const cell = await this.ctx.cell(this.cell);
    const parts: Buffer[] = [];
    await this.ctx.files.fetchData(
      cell,
      this.fid,
      0,
      Math.max(this.status.length, 1),
      (c) => void parts.push(c),
      { syscall: 'read', path: this.path, signal },
    );
    return Buffer.concat(parts);
  }

  /** Nothing is buffered: every write already reached the server. */
  async sync(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
