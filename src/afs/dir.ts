// The AFS directory format, parsed locally from the bytes FetchData64 returns for a directory FID
// (OpenAFS's Lookup RPC is not usable). Layout facts from OpenAFS src/dir/dir.h and dir.c; the
// listing order is the one OpenAFS's afs_readdir gives (BlobScan over the allocation bitmaps, in
// entry-number order), so `ls -f` through an OpenAFS client and listDirectory agree.
//
// The blob comes from a server and is treated as hostile: every read is bounds-checked, every walk
// is bounded, and damage is either skipped and counted (listing) or reported as a DirError.

import { AfsError } from '../rpc/errors.js';

export const AFS_PAGESIZE = 2048;
/** 32-byte slots ("entries" in OpenAFS) per page. */
export const EPP = 64;
export const SLOT_SIZE = 32;
export const NHASHENT = 128;
/** Pages covered by page 0's allocation map: the classic maximum directory size. */
export const MAXPAGES = 128;
/** The newer maximum (pages past MAXPAGES are found through the page bitmaps alone). */
export const BIGMAXPAGES = 1023;
/** Slots of page 0 taken by the directory header beyond the page header (alloMap + hash table). */
export const DHE = 12;
export const PAGE_TAG = 1234;
/** Flag of the first slot of an entry. */
export const FFIRST = 1;

// Byte offsets inside a page / page 0 / an entry.
const PAGE_TAG_OFFSET = 2;
const FREEBITMAP_OFFSET = 5;
const HASHTABLE_OFFSET = 32 + MAXPAGES; // after the page header and alloMap
const ENTRY_NEXT = 2;
const ENTRY_VNODE = 4;
const ENTRY_UNIQUE = 8;
const ENTRY_NAME = 12;

/** Issues kept for diagnosis; the count of skipped items is exact regardless. */
const MAX_ISSUES_KEPT = 64;

export type DirProblem =
  | 'truncated' // shorter than one page: not a directory
  | 'bad-tag' // a page whose tag is not 1234
  | 'partial-page' // trailing bytes that do not fill a page
  | 'too-many-pages' // pages beyond BIGMAXPAGES
  | 'name-overrun' // a name with no NUL before the end of its page
  | 'empty-name' // an allocated entry with an empty name
  | 'bad-link' // a hash chain pointing outside the directory, at a header or free slot
  | 'chain-loop'; // a hash chain that comes back to an entry it already visited

/** A directory blob that cannot be used. Surfaces to users as EIO. */
export class DirError extends AfsError {
  constructor(
    readonly problem: DirProblem,
    detail: string,
  ) {
    super('EIO', `EIO: corrupt AFS directory (${problem}): ${detail}`);
  }
}

export interface DirEntryRecord {
  /** The name bytes exactly as stored (AFS names are bytes, not necessarily UTF-8). */
  name: Buffer;
  vnode: number;
  unique: number;
}

export interface DirIssue {
  problem: DirProblem;
  /** Entry (slot) number, for entry-level problems. */
  entry?: number;
  page?: number;
}

export interface DirScan {
  entries: DirEntryRecord[];
  /** How many things were skipped: damaged entries, bad pages, stray bytes. */
  skipped: number;
  /** The first few problems, for diagnosis. */
  issues: DirIssue[];
}

/** OpenAFS afs_dir_DirHash: the hash-table bucket (0..127) of a name. */
export function dirHash(name: Uint8Array): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) {
    const byte = name[i]!;
    if (byte === 0) break; // C string semantics
    h = (Math.imul(h, 173) + byte) >>> 0;
  }
  const t = h & (NHASHENT - 1);
  if (t === 0) return 0;
  return h >= 0x80000000 ? NHASHENT - t : t;
}

/** Slots an entry with a name of this many bytes occupies (OpenAFS afs_dir_NameBlobs). */
export function nameBlobs(nameLength: number): number {
  return 1 + ((nameLength + 1 + 15) >> 5);
}

/** Longest name that can end inside a page (an entry at slot 1); servers allow only 255. */
export const MAX_NAME_LENGTH = AFS_PAGESIZE - SLOT_SIZE - ENTRY_NAME - 1;

/**
 * A parsed directory blob: construct once per fetched version, then list and look up names.
 * Construction throws DirError when the blob is not a directory at all (shorter than a page, or
 * page 0's tag wrong); everything else is checked as it is read.
 */
export class AfsDirectory {
  readonly pages: number;
  /** Problems met so far (listing and lookups), the first few kept. */
  readonly issues: DirIssue[] = [];
  /** How many things were skipped so far: damaged entries, bad pages, stray bytes. */
  skipped = 0;
  private readonly structuralSkips: number;

  constructor(readonly buf: Buffer) {
    if (buf.length < AFS_PAGESIZE) {
      throw new DirError('truncated', `${buf.length} bytes, less than one ${AFS_PAGESIZE}-byte page`);
    }
    const tag = buf.readUInt16BE(PAGE_TAG_OFFSET);
    if (tag !== PAGE_TAG) throw new DirError('bad-tag', `page 0 tag ${tag}, expected ${PAGE_TAG}`);
    let pages = Math.floor(buf.length / AFS_PAGESIZE);
    if (buf.length % AFS_PAGESIZE !== 0) this.note({ problem: 'partial-page', page: pages });
    if (pages > BIGMAXPAGES) {
      this.note({ problem: 'too-many-pages', page: BIGMAXPAGES });
      pages = BIGMAXPAGES;
    }
    this.pages = pages;
    this.structuralSkips = this.skipped;
  }

  private note(issue: DirIssue): void {
    this.skipped++;
    if (this.issues.length < MAX_ISSUES_KEPT) this.issues.push(issue);
  }

  private pageIsBad(page: number): boolean {
    return this.buf.readUInt16BE(page * AFS_PAGESIZE + PAGE_TAG_OFFSET) !== PAGE_TAG;
  }

  /** Is this slot marked in use in its page's bitmap? */
  private allocated(entry: number): boolean {
    const page = entry >> 6;
    const slot = entry & (EPP - 1);
    const byte = this.buf[page * AFS_PAGESIZE + FREEBITMAP_OFFSET + (slot >> 3)]!;
    return ((byte >> (slot & 7)) & 1) === 1;
  }

  /** Can this entry number name an entry at all (inside the blob, a good page, not header)? */
  private entryInRange(entry: number): boolean {
    const page = entry >> 6;
    return page < this.pages && (entry & (EPP - 1)) >= firstEntrySlot(page) && !this.pageIsBad(page);
  }

  /** The name's length if it ends (NUL) inside its page, else -1 (afs_dir_GetVerifiedBlob). */
  private nameLength(entry: number): number {
    const start = entryOffset(entry) + ENTRY_NAME;
    const pageEnd = ((entry >> 6) + 1) * AFS_PAGESIZE;
    return this.buf.subarray(start, pageEnd).indexOf(0);
  }

  private record(entry: number, nameLength: number): DirEntryRecord {
    const off = entryOffset(entry);
    return {
      name: Buffer.from(this.buf.subarray(off + ENTRY_NAME, off + ENTRY_NAME + nameLength)),
      vnode: this.buf.readUInt32BE(off + ENTRY_VNODE),
      unique: this.buf.readUInt32BE(off + ENTRY_UNIQUE),
    };
  }

  /**
   * Every entry in OpenAFS readdir order. Like its BlobScan: from an entry number, skip header
   * and free slots to the next allocated slot; after an entry, continue past all the slots its
   * name occupies. The cursor only moves forward, so the walk ends.
   */
  scan(): DirScan {
    this.skipped = this.structuralSkips;
    this.issues.length = Math.min(this.issues.length, this.structuralSkips);
    const entries: DirEntryRecord[] = [];
    const limit = this.pages * EPP;
    let entry = 0;
    while (entry < limit) {
      const page = entry >> 6;
      const pageEnd = (page + 1) * EPP;
      if (this.pageIsBad(page)) {
        this.note({ problem: 'bad-tag', page });
        entry = pageEnd;
        continue;
      }
      entry = Math.max(entry, page * EPP + firstEntrySlot(page));
      while (entry < pageEnd && !this.allocated(entry)) entry++;
      if (entry === pageEnd) continue;
      const length = this.nameLength(entry);
      if (length <= 0) {
        // OpenAFS ends the whole listing at a bad name; skipping one slot keeps the rest visible.
        this.note({ problem: length < 0 ? 'name-overrun' : 'empty-name', entry });
        entry++;
        continue;
      }
      entries.push(this.record(entry, length));
      entry += nameBlobs(length);
    }
    return { entries, skipped: this.skipped, issues: [...this.issues] };
  }

  /**
   * Find a name through its hash chain, as OpenAFS FindItem does. A damaged or looping chain
   * ends the search (the name is then not found).
   */
  lookup(name: Uint8Array | string): { vnode: number; unique: number } | undefined {
    const bytes = typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
    if (bytes.length === 0 || bytes.length > MAX_NAME_LENGTH || bytes.includes(0)) return undefined;
    // Each step of a sound chain lands on a distinct entry, so a walk longer than the number of
    // entry numbers in the blob must have come back on itself.
    const maxSteps = this.pages * EPP;
    let entry = this.buf.readUInt16BE(HASHTABLE_OFFSET + dirHash(bytes) * 2);
    for (let steps = 0; entry !== 0; steps++) {
      if (steps >= maxSteps) {
        this.note({ problem: 'chain-loop', entry });
        return undefined;
      }
      if (!this.entryInRange(entry) || !this.allocated(entry)) {
        this.note({ problem: 'bad-link', entry });
        return undefined;
      }
      const length = this.nameLength(entry);
      if (length < 0) {
        this.note({ problem: 'name-overrun', entry });
        return undefined;
      }
      const off = entryOffset(entry);
      if (
        length === bytes.length &&
        this.buf.compare(bytes, 0, length, off + ENTRY_NAME, off + ENTRY_NAME + length) === 0
      ) {
        return {
          vnode: this.buf.readUInt32BE(off + ENTRY_VNODE),
          unique: this.buf.readUInt32BE(off + ENTRY_UNIQUE),
        };
      }
      entry = this.buf.readUInt16BE(off + ENTRY_NEXT);
    }
    return undefined;
  }
}

/** First slot of a page that can hold an entry (the rest is header). */
function firstEntrySlot(page: number): number {
  return page === 0 ? DHE + 1 : 1;
}

function entryOffset(entry: number): number {
  return (entry >> 6) * AFS_PAGESIZE + (entry & (EPP - 1)) * SLOT_SIZE;
}

/** Every entry of a directory in OpenAFS readdir order, with a count of what was skipped. */
export function scanDirectory(buf: Buffer): DirScan {
  return new AfsDirectory(buf).scan();
}

/** The entries of a directory in the order `ls -f` shows them through an OpenAFS client. */
export function listDirectory(buf: Buffer): DirEntryRecord[] {
  return new AfsDirectory(buf).scan().entries;
}

/** Look a name up in a directory blob (parse once with AfsDirectory for many lookups). */
export function lookup(
  buf: Buffer,
  name: Uint8Array | string,
): { vnode: number; unique: number } | undefined {
  return new AfsDirectory(buf).lookup(name);
}
