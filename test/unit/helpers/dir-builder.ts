// A directory WRITER for tests only: builds AFS directory blobs the way an OpenAFS file server
// does (src/dir/dir.c MakeDir / Create / Delete / FindBlobs / AddPage / FreeBlobs, re-expressed
// here), so the parser can be checked against layouts a real server produces: first-fit slot
// allocation, page 0's allocation map, big directories past 128 pages, hash chains threaded at
// the head, deleted entries whose bytes stay behind.

import {
  AFS_PAGESIZE,
  BIGMAXPAGES,
  DHE,
  dirHash,
  EPP,
  FFIRST,
  MAXPAGES,
  nameBlobs,
  PAGE_TAG,
  SLOT_SIZE,
} from '../../../src/afs/dir.js';

export interface BuiltEntry {
  name: Buffer;
  vnode: number;
  unique: number;
  /** First slot (entry number) the server would have allocated. */
  entry: number;
}

export class DirectoryFullError extends Error {
  readonly code = 'EFBIG';
}

const ALLOMAP = 32; // page 0: alloMap[128] after the page header
const HASHTABLE = ALLOMAP + MAXPAGES;

export class DirBuilder {
  private buf = Buffer.alloc(AFS_PAGESIZE * 8);
  private pageCount = 0;
  /** Live entries by name (latin1 key keeps the exact bytes). */
  private readonly live = new Map<string, BuiltEntry>();
  /** Free slots per page past MAXPAGES, only to skip full pages fast (FindBlobs would scan them). */
  private readonly bigFree: number[] = [];

  constructor(
    me: { vnode: number; unique: number } = { vnode: 1, unique: 1 },
    parent: { vnode: number; unique: number } = { vnode: 1, unique: 1 },
    private readonly maxPages = BIGMAXPAGES,
  ) {
    // MakeDir: page 0 with its 13 header slots allocated, an empty alloMap, then "." and "..".
    this.ensurePage(0);
    this.pageCount = 1;
    this.buf.writeUInt16BE(1, 0);
    this.buf.writeUInt16BE(PAGE_TAG, 2);
    this.buf[4] = EPP - DHE - 1;
    this.buf[5] = 0xff;
    this.buf[6] = 0x1f;
    this.buf[ALLOMAP] = EPP - DHE - 1;
    for (let i = 1; i < MAXPAGES; i++) this.buf[ALLOMAP + i] = EPP;
    this.create('.', me.vnode, me.unique);
    this.create('..', parent.vnode, parent.unique);
  }

  private ensurePage(page: number): void {
    const need = (page + 1) * AFS_PAGESIZE;
    if (this.buf.length < need) {
      const grown = Buffer.alloc(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown);
      this.buf = grown;
    }
  }

  private addPage(page: number): void {
    this.ensurePage(page);
    const off = page * AFS_PAGESIZE;
    this.buf.fill(0, off, off + AFS_PAGESIZE);
    this.buf.writeUInt16BE(PAGE_TAG, off + 2);
    this.buf[off + 4] = EPP - 1;
    this.buf[off + 5] = 0x01; // slot 0 is the page header
    if (page >= MAXPAGES) this.bigFree[page] = EPP - 1;
  }

  private bit(page: number, slot: number): boolean {
    return ((this.buf[page * AFS_PAGESIZE + 5 + (slot >> 3)]! >> (slot & 7)) & 1) === 1;
  }

  private setBits(page: number, first: number, n: number, on: boolean): void {
    for (let k = first; k < first + n; k++) {
      const at = page * AFS_PAGESIZE + 5 + (k >> 3);
      this.buf[at] = on ? this.buf[at]! | (1 << (k & 7)) : this.buf[at]! & ~(1 << (k & 7));
    }
  }

  private get pgcount(): number {
    return this.buf.readUInt16BE(0);
  }

  /** FindBlobs: the first page (in order) with a run of n free slots, first fit inside it. */
  private findBlobs(n: number): number {
    for (let i = 0; i < this.maxPages; i++) {
      if (i < MAXPAGES && this.buf[ALLOMAP + i]! < n) continue;
      if (i >= MAXPAGES) {
        if (i > this.pgcount - 1) {
          this.addPage(i);
          this.buf.writeUInt16BE(i + 1, 0);
        } else if ((this.bigFree[i] ?? 0) < n) {
          continue;
        }
      } else if (this.buf[ALLOMAP + i] === EPP) {
        this.addPage(i);
        this.buf[ALLOMAP + i] = EPP - 1;
        this.buf.writeUInt16BE(i + 1, 0);
      }
      this.pageCount = Math.max(this.pageCount, i + 1);
      for (let j = 0; j <= EPP - n; j++) {
        let free = true;
        for (let k = 0; k < n && free; k++) free = !this.bit(i, j + k);
        if (!free) continue;
        if (i < MAXPAGES) this.buf[ALLOMAP + i]! -= n;
        else this.bigFree[i]! -= n;
        this.setBits(i, j, n, true);
        return i * EPP + j;
      }
    }
    return -1;
  }

  private head(bucket: number): number {
    return this.buf.readUInt16BE(HASHTABLE + bucket * 2);
  }

  /**
   * Create: allocate the slots, write the entry, thread it at the head of its hash chain.
   * `duplicate` lets a hostile server's second entry of the same name in (a real one refuses).
   */
  create(
    name: string | Buffer,
    vnode: number,
    unique: number,
    opts: { duplicate?: boolean } = {},
  ): BuiltEntry {
    const bytes = typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
    if (bytes.length === 0 || bytes.includes(0)) throw new Error('bad name');
    let key = bytes.toString('latin1');
    if (this.live.has(key) && !opts.duplicate) throw new Error(`exists: ${key}`);
    while (this.live.has(key)) key += '\0'; // a live-map key no real name can have
    const blobs = nameBlobs(bytes.length);
    const entry = this.findBlobs(blobs);
    if (entry < 0) throw new DirectoryFullError('directory is full');
    const off = (entry >> 6) * AFS_PAGESIZE + (entry & (EPP - 1)) * SLOT_SIZE;
    this.buf[off] = FFIRST;
    this.buf.writeUInt32BE(vnode >>> 0, off + 4);
    this.buf.writeUInt32BE(unique >>> 0, off + 8);
    bytes.copy(this.buf, off + 12);
    this.buf[off + 12 + bytes.length] = 0;
    const bucket = dirHash(bytes);
    this.buf.writeUInt16BE(this.head(bucket), off + 2);
    this.buf.writeUInt16BE(entry, HASHTABLE + bucket * 2);
    const built = { name: Buffer.from(bytes), vnode, unique, entry };
    this.live.set(key, built);
    return built;
  }

  /** Delete: unlink from the chain, free the slots; the bytes stay, as on a real server. */
  delete(name: string | Buffer): void {
    const bytes = typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
    const key = bytes.toString('latin1');
    const found = this.live.get(key);
    if (!found) throw new Error(`no such entry: ${key}`);
    const bucket = dirHash(bytes);
    let prevAt = HASHTABLE + bucket * 2;
    for (let e = this.head(bucket); e !== 0; ) {
      const off = (e >> 6) * AFS_PAGESIZE + (e & (EPP - 1)) * SLOT_SIZE;
      if (e === found.entry) {
        this.buf.writeUInt16BE(this.buf.readUInt16BE(off + 2), prevAt);
        break;
      }
      prevAt = off + 2;
      e = this.buf.readUInt16BE(off + 2);
    }
    const page = found.entry >> 6;
    const blobs = nameBlobs(bytes.length);
    if (page < MAXPAGES) this.buf[ALLOMAP + page]! += blobs;
    else this.bigFree[page]! += blobs;
    this.setBits(page, found.entry & (EPP - 1), blobs, false);
    this.live.delete(key);
  }

  /** Live entries in the order OpenAFS readdir lists them: by first slot. */
  expectedListing(): BuiltEntry[] {
    return [...this.live.values()].sort((a, b) => a.entry - b.entry);
  }

  get pages(): number {
    return this.pageCount;
  }

  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pageCount * AFS_PAGESIZE));
  }
}

export interface EntrySpec {
  name: string | Buffer;
  vnode: number;
  unique: number;
  /** Create, then delete after all entries exist (leaves a hole and stale bytes). */
  deleted?: boolean;
}

/** Build a directory from a list of entries (created in order; deleted ones removed at the end). */
export function buildDirectory(entries: EntrySpec[], options: { maxPages?: number } = {}): DirBuilder {
  const dir = new DirBuilder(undefined, undefined, options.maxPages);
  for (const e of entries) dir.create(e.name, e.vnode, e.unique);
  for (const e of entries) if (e.deleted) dir.delete(e.name);
  return dir;
}
