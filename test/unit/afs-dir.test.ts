import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AFS_PAGESIZE,
  AfsDirectory,
  BIGMAXPAGES,
  DHE,
  DirError,
  dirHash,
  EPP,
  listDirectory,
  lookup,
  MAXPAGES,
  nameBlobs,
  scanDirectory,
} from '../../src/afs/dir.js';
import { AfsError } from '../../src/rpc/errors.js';
import { buildDirectory, DirBuilder, DirectoryFullError, type EntrySpec } from './helpers/dir-builder.js';

/** An independent reference for afs_dir_DirHash in BigInt arithmetic. */
function referenceHash(name: Uint8Array): number {
  let h = 0n;
  for (const b of name) h = (h * 173n + BigInt(b)) % 2n ** 32n;
  const t = Number(h % 128n);
  if (t === 0) return 0;
  return h >= 2n ** 31n ? 128 - t : t;
}

/** A small deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function entryOffset(entry: number): number {
  return (entry >> 6) * AFS_PAGESIZE + (entry & (EPP - 1)) * 32;
}

function names(list: Array<{ name: Buffer }>): string[] {
  return list.map((e) => e.name.toString('latin1'));
}

test('dirHash: hand-checked values and the BigInt reference', () => {
  assert.equal(dirHash(Buffer.from('.')), 46);
  assert.equal(dirHash(Buffer.from('..')), (46 * 173 + 46) & 127); // 8004 → 68
  assert.equal(dirHash(Buffer.from('')), 0);
  const next = rng(1);
  let highBranch = 0;
  for (let i = 0; i < 5000; i++) {
    const name = Buffer.alloc(1 + Math.floor(next() * 40));
    for (let j = 0; j < name.length; j++) name[j] = 1 + Math.floor(next() * 255);
    const want = referenceHash(name);
    assert.equal(dirHash(name), want, name.toString('hex'));
    assert.ok(want >= 0 && want < 128);
    // Count how often the "hval >= 2^31" branch decided the bucket, so the test covers it.
    let h = 0n;
    for (const b of name) h = (h * 173n + BigInt(b)) % 2n ** 32n;
    if (h >= 2n ** 31n && h % 128n !== 0n) highBranch++;
  }
  assert.ok(highBranch > 1000, `high branch exercised ${highBranch} times`);
});

test('nameBlobs matches the OpenAFS slot count', () => {
  assert.equal(nameBlobs(1), 1); // "."
  assert.equal(nameBlobs(15), 1);
  assert.equal(nameBlobs(16), 2);
  assert.equal(nameBlobs(47), 2);
  assert.equal(nameBlobs(48), 3);
  assert.equal(nameBlobs(255), 9);
});

test('a new directory lists "." and ".." with their fids', () => {
  const dir = new DirBuilder({ vnode: 7, unique: 9 }, { vnode: 1, unique: 1 });
  const buf = dir.toBuffer();
  assert.equal(buf.length, AFS_PAGESIZE);
  const list = listDirectory(buf);
  assert.deepEqual(names(list), ['.', '..']);
  assert.deepEqual(
    list.map((e) => [e.vnode, e.unique]),
    [
      [7, 9],
      [1, 1],
    ],
  );
  assert.deepEqual(lookup(buf, '.'), { vnode: 7, unique: 9 });
  assert.deepEqual(lookup(buf, Buffer.from('..')), { vnode: 1, unique: 1 });
  assert.equal(lookup(buf, 'x'), undefined);
  assert.equal(lookup(buf, ''), undefined);
  assert.equal(lookup(buf, Buffer.from([0x2e, 0])), undefined);
});

/**
 * Printable names with the identical 32-bit hash value (not just the same bucket). Base-173 digits
 * cannot carry within printable bytes, so twins need the 2^32 wrap: a birthday search over
 * random 8-byte names finds some.
 */
function fullHashTwins(count: number): Buffer[][] {
  const next = rng(99);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const seen = new Map<number, string>();
  const twins: Buffer[][] = [];
  for (let i = 0; i < 600000 && twins.length < count; i++) {
    let name = '';
    for (let j = 0; j < 8; j++) name += alphabet[Math.floor(next() * alphabet.length)];
    let h = 0;
    for (let j = 0; j < name.length; j++) h = (Math.imul(h, 173) + name.charCodeAt(j)) >>> 0;
    const other = seen.get(h);
    if (other !== undefined && other !== name) twins.push([Buffer.from(other), Buffer.from(name)]);
    else seen.set(h, name);
  }
  return twins;
}

test('names with identical hash values are told apart', () => {
  const twins = fullHashTwins(50);
  assert.ok(twins.length >= 5, `found ${twins.length} twin sets`);
  // Also two-byte twins: b1*173+b2 = (b1+1)*173+(b2-173).
  const pair = [Buffer.from([0x41, 0xc0]), Buffer.from([0x42, 0x13])];
  assert.equal(dirHash(pair[0]!), dirHash(pair[1]!));
  const specs: EntrySpec[] = [];
  let v = 100;
  for (const set of [...twins, pair]) for (const name of set) specs.push({ name, vnode: v, unique: v++ });
  const dir = buildDirectory(specs);
  const buf = dir.toBuffer();
  const d = new AfsDirectory(buf);
  for (const s of specs) assert.deepEqual(d.lookup(s.name as Buffer), { vnode: s.vnode, unique: s.unique });
  assert.deepEqual(names(d.scan().entries), names(dir.expectedListing()));
});

function makeName(i: number, next: () => number): Buffer {
  switch (i % 9) {
    case 0:
      return Buffer.from(`file-${i}`);
    case 1: // long names spanning several slots
      return Buffer.from(`a-long-name-that-spans-several-slots-${i}-${'x'.repeat(Math.floor(next() * 120))}`);
    case 2: // 255 bytes, the server's maximum
      return Buffer.from(`${i}-`.padEnd(255, 'L'));
    case 3: {
      // non-UTF-8 bytes
      const b = Buffer.from(`raw-${i}-..`);
      b[b.length - 2] = 0xff;
      b[b.length - 1] = 0x80 + (i % 64);
      return b;
    }
    case 4:
      return Buffer.from(`ünïcødé-${i}-名前`);
    case 5:
      return Buffer.from(`with space ${i}`);
    default:
      return Buffer.from(`f${i}`);
  }
}

test('10,000 entries with deletions, long, 255-byte and non-UTF-8 names: order and lookups', () => {
  const next = rng(42);
  const specs: EntrySpec[] = [];
  for (let i = 0; i < 11000; i++) {
    specs.push({ name: makeName(i, next), vnode: 2 * i + 3, unique: i + 1, deleted: i % 11 === 5 });
  }
  const t0 = performance.now();
  const dir = buildDirectory(specs);
  // Re-create some names after deletion so freed holes are reused, as on a real server.
  for (let i = 0; i < 400; i++) dir.create(Buffer.from(`again-${i}`), 900000 + i, 1);
  const buf = dir.toBuffer();
  const built = performance.now();
  const expected = dir.expectedListing();
  assert.ok(expected.length >= 10000, `${expected.length} live entries`);
  assert.ok(dir.pages > MAXPAGES, `${dir.pages} pages: past the classic limit`);

  const scan = scanDirectory(buf);
  const listed = performance.now();
  assert.equal(scan.skipped, 0);
  assert.equal(scan.entries.length, expected.length);
  scan.entries.forEach((e, i) => {
    const want = expected[i]!;
    assert.ok(e.name.equals(want.name), `position ${i}`);
    assert.equal(e.vnode, want.vnode);
    assert.equal(e.unique, want.unique);
  });

  const d = new AfsDirectory(buf);
  for (const want of expected)
    assert.deepEqual(d.lookup(want.name), { vnode: want.vnode, unique: want.unique });
  for (const s of specs.filter((x) => x.deleted)) assert.equal(d.lookup(s.name as Buffer), undefined);
  assert.equal(d.lookup('no-such-name'), undefined);
  const looked = performance.now();
  // Deleted entries leave their bytes behind: the old name is still in the blob.
  const deleted = specs.find((x) => x.deleted)!.name as Buffer;
  assert.ok(buf.includes(deleted));
  console.log(
    `# ${expected.length} entries, ${dir.pages} pages: build ${(built - t0).toFixed(0)} ms, ` +
      `scan ${(listed - built).toFixed(1)} ms, ${expected.length + specs.length} lookups ${(looked - listed).toFixed(0)} ms`,
  );
});

test('a classic directory fills at 128 pages; a big one at 1023 pages, all entries listed', () => {
  const classic = new DirBuilder(undefined, undefined, MAXPAGES);
  let n = 0;
  assert.throws(() => {
    for (;;) classic.create(`c${n++}`, n, n);
  }, DirectoryFullError);
  assert.equal(classic.pages, MAXPAGES);
  const classicList = listDirectory(classic.toBuffer());
  assert.equal(classicList.length, MAXPAGES * (EPP - 1) - DHE);
  assert.deepEqual(names(classicList), names(classic.expectedListing()));

  const big = new DirBuilder();
  let m = 0;
  assert.throws(() => {
    for (;;) big.create(`b${m++}`, m, m);
  }, DirectoryFullError);
  assert.equal(big.pages, BIGMAXPAGES);
  const buf = big.toBuffer();
  assert.equal(buf.length, BIGMAXPAGES * AFS_PAGESIZE);
  const list = listDirectory(buf);
  assert.equal(list.length, BIGMAXPAGES * (EPP - 1) - DHE);
  assert.deepEqual(names(list), names(big.expectedListing()));
  const d = new AfsDirectory(buf);
  assert.deepEqual(d.lookup(`b${m - 2}`), { vnode: m - 1, unique: m - 1 });
  assert.deepEqual(d.lookup('b0'), { vnode: 1, unique: 1 });
});

test('hostile blobs: not a directory at all → DirError (an EIO AfsError)', () => {
  for (const buf of [Buffer.alloc(0), Buffer.alloc(100), Buffer.alloc(AFS_PAGESIZE - 1)]) {
    assert.throws(
      () => listDirectory(buf),
      (e: unknown) => e instanceof DirError && e.problem === 'truncated' && e.code === 'EIO',
    );
  }
  const bad = new DirBuilder().toBuffer();
  bad.writeUInt16BE(4321, 2);
  assert.throws(
    () => lookup(bad, '.'),
    (e: unknown) => e instanceof DirError && e instanceof AfsError && e.problem === 'bad-tag',
  );
});

function twoPageDir(): { dir: DirBuilder; buf: Buffer } {
  const specs: EntrySpec[] = [];
  for (let i = 0; i < 100; i++) specs.push({ name: `n${i}`, vnode: i + 10, unique: 1 });
  const dir = buildDirectory(specs);
  return { dir, buf: dir.toBuffer() };
}

test('hostile blobs: a page with a bad tag is skipped and counted', () => {
  const { dir, buf } = twoPageDir();
  assert.equal(dir.pages, 2);
  buf.writeUInt16BE(0, AFS_PAGESIZE + 2);
  const scan = scanDirectory(buf);
  const onPage0 = dir.expectedListing().filter((e) => e.entry < EPP);
  assert.deepEqual(names(scan.entries), names(onPage0));
  assert.equal(scan.skipped, 1);
  assert.equal(scan.issues[0]?.problem, 'bad-tag');
  const onPage1 = dir.expectedListing().find((e) => e.entry >= EPP)!;
  assert.equal(lookup(buf, onPage1.name), undefined);
});

test('hostile blobs: looping, out-of-range and dangling hash chains end the lookup', () => {
  const { dir, buf } = twoPageDir();
  const entries = dir.expectedListing();
  const a = entries.find((e) => e.name.toString() === 'n7')!;
  const bucketMates = entries.filter((e) => dirHash(e.name) === dirHash(a.name));
  const missingInBucket = (() => {
    for (let i = 0; ; i++) if (dirHash(Buffer.from(`zz${i}`)) === dirHash(a.name)) return `zz${i}`;
  })();
  const d0 = new AfsDirectory(buf);
  assert.equal(d0.lookup(missingInBucket), undefined);
  assert.equal(d0.skipped, 0);

  // Self loop at the head of the chain.
  const loop = Buffer.from(buf);
  const head = bucketMates.sort((x, y) => y.entry - x.entry)[0]!; // the last created is the head
  loop.writeUInt16BE(head.entry, entryOffset(head.entry) + 2);
  const d1 = new AfsDirectory(loop);
  // The walk is bounded: a looping chain ends the lookup (it returns, and says why).
  assert.equal(d1.lookup(missingInBucket), undefined);
  assert.equal(d1.issues[0]?.problem, 'chain-loop');
  // The listing does not follow chains, so it is unaffected.
  assert.equal(listDirectory(loop).length, entries.length);

  for (const target of [5, 0x40, 63 * 64, 65535]) {
    // header slot of page 0, header slot of page 1, a page past the end, the largest number
    const broken = Buffer.from(buf);
    broken.writeUInt16BE(target, entryOffset(head.entry) + 2);
    const d = new AfsDirectory(broken);
    assert.equal(d.lookup(missingInBucket), undefined, `link to ${target}`);
    assert.equal(d.issues[0]?.problem, 'bad-link');
  }

  // A link to a freed slot: delete an entry, then point a chain at its old slot.
  const victim = entries.find((e) => e.name.toString() === 'n50')!;
  dir.delete('n50');
  const dangling = dir.toBuffer();
  const headAt = 32 + 128 + dirHash(Buffer.from('n50')) * 2;
  dangling.writeUInt16BE(victim.entry, headAt);
  const d2 = new AfsDirectory(dangling);
  assert.equal(d2.lookup('n50'), undefined);
  assert.equal(d2.issues[0]?.problem, 'bad-link');
});

test('hostile blobs: names running past the page end and empty names are skipped', () => {
  const { dir, buf } = twoPageDir();
  const expected = dir.expectedListing();
  const hostile = Buffer.from(buf);
  // Claim the last slot of page 1 and fill it to the page end with no NUL.
  const last = 2 * EPP - 1;
  hostile[AFS_PAGESIZE + 5 + (63 >> 3)]! |= 1 << (63 & 7);
  hostile.fill(0x41, entryOffset(last) + 12, 2 * AFS_PAGESIZE);
  // And an allocated slot with an empty name, on page 1 after the live entries.
  const empty = 2 * EPP - 3;
  hostile[AFS_PAGESIZE + 5 + ((empty & 63) >> 3)]! |= 1 << (empty & 7);
  hostile.fill(0, entryOffset(empty), entryOffset(empty) + 32);
  const scan = scanDirectory(hostile);
  assert.deepEqual(names(scan.entries), names(expected));
  assert.equal(scan.skipped, 2);
  assert.deepEqual(scan.issues.map((i) => i.problem).sort(), ['empty-name', 'name-overrun']);
  // A chain pointing at the overrunning entry fails cleanly.
  hostile.writeUInt16BE(last, 32 + 128 + dirHash(Buffer.from('AAAA')) * 2);
  assert.equal(lookup(hostile, 'AAAA'), undefined);
});

test('hostile blobs: partial trailing page and more than BIGMAXPAGES pages', () => {
  const { dir, buf } = twoPageDir();
  const partial = Buffer.concat([buf, Buffer.alloc(100, 0xff)]);
  const scan = scanDirectory(partial);
  assert.equal(scan.entries.length, dir.expectedListing().length);
  assert.deepEqual(
    scan.issues.map((i) => i.problem),
    ['partial-page'],
  );
  const huge = Buffer.alloc((BIGMAXPAGES + 2) * AFS_PAGESIZE);
  buf.copy(huge);
  for (let p = 2; p < BIGMAXPAGES + 2; p++) huge.writeUInt16BE(1234, p * AFS_PAGESIZE + 2);
  const big = scanDirectory(huge);
  assert.equal(big.entries.length, dir.expectedListing().length);
  assert.equal(big.issues[0]?.problem, 'too-many-pages');
});

test('hostile blobs: random and saturated garbage never hangs or reads out of bounds', () => {
  const next = rng(7);
  const t0 = performance.now();
  let listedTotal = 0;
  for (let round = 0; round < 300; round++) {
    const pages = 1 + Math.floor(next() * 4);
    const blob = Buffer.alloc(pages * AFS_PAGESIZE + (round % 3 === 0 ? Math.floor(next() * 2048) : 0));
    for (let i = 0; i < blob.length; i++) blob[i] = next() < 0.3 ? 0 : Math.floor(next() * 256);
    for (let p = 0; p < pages; p++) if (next() < 0.9) blob.writeUInt16BE(1234, p * AFS_PAGESIZE + 2);
    blob.writeUInt16BE(1234, 2);
    const d = new AfsDirectory(blob);
    const scan = d.scan();
    listedTotal += scan.entries.length;
    for (const e of scan.entries) {
      assert.ok(e.name.length > 0 && !e.name.includes(0));
      d.lookup(e.name); // may or may not be on a chain; must not throw
    }
    for (let k = 0; k < 20; k++) d.lookup(Buffer.from([1 + Math.floor(next() * 255), 65 + k]));
  }
  assert.ok(listedTotal > 0);
  // Saturated: every bitmap bit set, no NUL anywhere but page tags.
  const full = Buffer.alloc(BIGMAXPAGES * AFS_PAGESIZE, 0xff);
  for (let p = 0; p < BIGMAXPAGES; p++) full.writeUInt16BE(1234, p * AFS_PAGESIZE + 2);
  const scan = scanDirectory(full);
  assert.equal(scan.entries.length, 0);
  assert.ok(scan.skipped > 1000);
  const d = new AfsDirectory(full);
  for (let k = 0; k < 200; k++) assert.equal(d.lookup(`x${k}`), undefined);
  const elapsed = performance.now() - t0;
  assert.ok(elapsed < 20000, `${elapsed} ms`);
});
