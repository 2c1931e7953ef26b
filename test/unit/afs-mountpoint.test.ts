import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chooseVolumeType,
  formatMountPoint,
  isMountPoint,
  MountPointError,
  mountTarget,
  parseMountPoint,
  splitVolumeSuffix,
} from '../../src/afs/mountpoint.js';
import { AfsError } from '../../src/rpc/errors.js';

test('parses normal, RW and cell-qualified mount points', () => {
  assert.deepEqual(parseMountPoint('#root.cell.'), { type: 'normal', volume: 'root.cell' });
  assert.deepEqual(parseMountPoint(Buffer.from('%user.alice.')), { type: 'rw', volume: 'user.alice' });
  assert.deepEqual(parseMountPoint('#example.org:root.cell.'), {
    type: 'normal',
    cell: 'example.org',
    volume: 'root.cell',
  });
  assert.deepEqual(parseMountPoint('%tsafs.test:proj.readonly.'), {
    type: 'rw',
    cell: 'tsafs.test',
    volume: 'proj.readonly',
  });
  assert.deepEqual(parseMountPoint('#536870915.'), { type: 'normal', volume: '536870915' });
  assert.deepEqual(parseMountPoint('#vol.\0'), { type: 'normal', volume: 'vol' });
});

test('malformed mount points are typed EINVAL errors', () => {
  for (const bad of [
    '',
    '#',
    '#.',
    'root.cell.',
    '#root.cell',
    '#:vol.',
    '#cell:.',
    '#cell:a:b.',
    '#has space.',
    `#${'v'.repeat(65)}.`,
    `#${'c'.repeat(65)}:v.`,
    '#vol.\0x',
    '$vol.',
  ]) {
    assert.throws(
      () => parseMountPoint(bad),
      (e: unknown) => e instanceof MountPointError && e.code === 'EINVAL',
      JSON.stringify(bad),
    );
  }
});

test('format writes what fs mkmount writes and round-trips', () => {
  assert.equal(formatMountPoint({ type: 'normal', volume: 'root.cell' }), '#root.cell.');
  assert.equal(formatMountPoint({ type: 'rw', cell: 'tsafs.test', volume: 'v' }), '%tsafs.test:v.');
  for (const text of ['#a.', '%c.d:e.backup.', '#x:y.readonly.']) {
    assert.equal(formatMountPoint(parseMountPoint(text)), text);
  }
  assert.throws(() => formatMountPoint({ type: 'normal', volume: 'a b' }), MountPointError);
  assert.throws(() => formatMountPoint({ type: 'normal', volume: 'x:y' }), MountPointError);
});

test('a mount point is a symlink without execute bits', () => {
  assert.equal(isMountPoint(3, 0o644), true);
  assert.equal(isMountPoint(3, 0o755), false);
  assert.equal(isMountPoint(3, 0o645), false);
  assert.equal(isMountPoint(1, 0o644), false);
  assert.equal(isMountPoint(2, 0o644), false);
});

test('volume suffixes need a non-empty base', () => {
  assert.deepEqual(splitVolumeSuffix('proj.readonly'), { base: 'proj', type: 'ro' });
  assert.deepEqual(splitVolumeSuffix('proj.backup'), { base: 'proj', type: 'bk' });
  assert.deepEqual(splitVolumeSuffix('.readonly'), { base: '.readonly', type: undefined });
  assert.deepEqual(splitVolumeSuffix('.backup'), { base: '.backup', type: undefined });
  assert.deepEqual(splitVolumeSuffix('proj'), { base: 'proj', type: undefined });
});

test('RW/RO/BK selection follows OpenAFS EvalMountData', () => {
  const rwHere = { cell: 'c', volumeType: 'rw' as const };
  const roHere = { cell: 'c', volumeType: 'ro' as const };
  const bkHere = { cell: 'c', volumeType: 'bk' as const };
  const all = { rw: true, ro: true, bk: true };
  const rwOnly = { rw: true, ro: false, bk: false };
  const pick = (
    text: string,
    from: typeof rwHere | typeof roHere | typeof bkHere,
    exists = all,
    pb = false,
  ) => chooseVolumeType(mountTarget(parseMountPoint(text), from, { preferBackup: pb }), exists, from);

  // '#' from an RW volume: the RW volume, even when clones exist.
  assert.equal(pick('#v.', rwHere), 'rw');
  // '#' from an RO volume: the RO clone if it exists, else RW.
  assert.equal(pick('#v.', roHere), 'ro');
  assert.equal(pick('#v.', roHere, rwOnly), 'rw');
  // '#' crossing into another cell prefers RO even from an RW volume.
  assert.equal(pick('#other:v.', rwHere), 'ro');
  assert.equal(mountTarget(parseMountPoint('#other:v.'), rwHere).cell, 'other');
  assert.equal(pick('#c:v.', rwHere), 'rw'); // naming one's own cell is not crossing
  // '%' is always RW.
  assert.equal(pick('%v.', roHere), 'rw');
  assert.equal(pick('%other:v.', roHere), 'rw');
  // Explicit suffixes are taken as written.
  assert.equal(pick('#v.readonly.', rwHere), 'ro');
  assert.equal(pick('#v.backup.', rwHere), 'bk');
  assert.equal(mountTarget(parseMountPoint('#v.backup.'), rwHere).volume, 'v');
  assert.throws(
    () => pick('#v.readonly.', rwHere, rwOnly),
    (e: unknown) => e instanceof AfsError && e.code === 'ENOENT',
  );
  // From a backup volume: RO preferred (like any read-only source); with -backuptree, BK.
  assert.equal(pick('#v.', bkHere), 'ro');
  assert.equal(pick('#v.', bkHere, all, true), 'bk');
  assert.equal(pick('#v.', rwHere, all, true), 'rw'); // -backuptree only matters inside a backup
  assert.equal(pick('#v.', bkHere, { rw: true, ro: true, bk: false }, true), 'ro');
  assert.throws(
    () => pick('#v.backup.', bkHere),
    (e: unknown) => e instanceof AfsError && e.code === 'ENODEV',
  );
  assert.throws(() => pick('%v.', rwHere, { rw: false, ro: true, bk: false }), AfsError);
});
