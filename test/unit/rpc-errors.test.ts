import assert from 'node:assert/strict';
import { constants as osConstants } from 'node:os';
import { test } from 'node:test';
import {
  ABORT_TABLE,
  AfsError,
  abortName,
  abortToError,
  classifyAbort,
  classifyFailure,
  describeAbort,
  errorTableBase,
  PT_BASE,
  RXKAD_BASE,
  RXKADEXPIRED,
  UAE_BASE,
  UBIK_BASE,
  VL_BASE,
  VL_NOENT,
  VOLSER_BASE,
} from '../../src/rpc/errors.js';

test('com_err table bases match the known first codes', () => {
  assert.equal(errorTableBase('VL'), VL_BASE);
  assert.equal(errorTableBase('u'), UBIK_BASE);
  assert.equal(errorTableBase('rxk'), RXKAD_BASE);
  assert.equal(errorTableBase('pt'), PT_BASE);
  assert.equal(errorTableBase('vols'), VOLSER_BASE);
  assert.equal(VL_BASE, 363520);
  assert.equal(UBIK_BASE, 5376);
  assert.equal(RXKAD_BASE, 19270400);
  assert.equal(PT_BASE, 267264);
  assert.equal(VOLSER_BASE, 1492325120);
});

test('UAE codes are indexed by table position, not by Linux errno', () => {
  const expect: Array<[number, string, string]> = [
    [0, 'UAEPERM', 'EPERM'],
    [1, 'UAENOENT', 'ENOENT'],
    [4, 'UAEIO', 'EIO'],
    [10, 'UAEAGAIN', 'EAGAIN'],
    [12, 'UAEACCES', 'EACCES'],
    [16, 'UAEEXIST', 'EEXIST'],
    [19, 'UAENOTDIR', 'ENOTDIR'],
    [20, 'UAEISDIR', 'EISDIR'],
    [21, 'UAEINVAL', 'EINVAL'],
    [26, 'UAEFBIG', 'EFBIG'],
    [27, 'UAENOSPC', 'ENOSPC'],
    [29, 'UAEROFS', 'EROFS'],
    [35, 'UAENAMETOOLONG', 'ENAMETOOLONG'],
    [38, 'UAENOTEMPTY', 'ENOTEMPTY'],
    [40, 'UAEWOULDBLOCK', 'EAGAIN'],
    [41, 'UAENOMSG', 'ENOMSG'],
    [57, 'UAEBFONT', 'EBFONT'],
    [108, 'UAETIMEDOUT', 'ETIMEDOUT'],
    [120, 'UAEDQUOT', 'EDQUOT'],
    [122, 'UAEMEDIUMTYPE', 'EMEDIUMTYPE'],
  ];
  for (const [index, name, code] of expect) {
    const info = describeAbort(UAE_BASE + index);
    assert.equal(info.name, name, `index ${index}`);
    assert.equal(info.nodeCode, code, `index ${index}`);
  }
  // The table ends at UAEMEDIUMTYPE.
  assert.equal(abortName(UAE_BASE + 123), undefined);
  assert.equal(UAE_BASE, 49733376);
});

test('abortToError builds a node:fs-shaped error', () => {
  const err = abortToError(UAE_BASE + 1, { syscall: 'open', path: '/afs/x/missing', rpc: 'FetchStatus' });
  assert.ok(err instanceof AfsError);
  assert.ok(err instanceof Error);
  assert.equal(err.code, 'ENOENT');
  assert.equal(err.errno, -osConstants.errno.ENOENT);
  assert.equal(err.afsCode, 49733377);
  assert.equal(err.afsName, 'UAENOENT');
  assert.equal(err.syscall, 'open');
  assert.equal(err.path, '/afs/x/missing');
  assert.match(err.message, /^ENOENT: no such file or directory, open '\/afs\/x\/missing' \(AFS UAENOENT/);
  assert.match(err.message, /FetchStatus/);
});

test('the codes the file API promises map as documented', () => {
  const cases: Array<[number, string, string]> = [
    [UAE_BASE + 12, 'EACCES', 'UAEACCES'],
    [UAE_BASE + 16, 'EEXIST', 'UAEEXIST'],
    [UAE_BASE + 38, 'ENOTEMPTY', 'UAENOTEMPTY'],
    [UAE_BASE + 120, 'EDQUOT', 'UAEDQUOT'],
    [UAE_BASE + 27, 'ENOSPC', 'UAENOSPC'],
    [UAE_BASE + 29, 'EROFS', 'UAEROFS'],
    [108, 'ENOSPC', 'VDISKFULL'],
    [109, 'EDQUOT', 'VOVERQUOTA'],
    [103, 'ENOMEDIUM', 'VNOVOL'],
    [102, 'ENOENT', 'VNOVNODE'],
    [-1, 'ETIMEDOUT', 'RX_CALL_DEAD'],
    [-455, 'ENOTSUP', 'RXGEN_OPCODE'],
    [VL_NOENT, 'ENOENT', 'VL_NOENT'],
    [RXKADEXPIRED, 'EKEYEXPIRED', 'RXKADEXPIRED'],
    [UBIK_BASE, 'EAGAIN', 'UNOQUORUM'],
    [PT_BASE + 4, 'ENOENT', 'PRNOENT'],
    [VOLSER_BASE + 15, 'ENOENT', 'VOLSERNOVOL'],
    [1235, 'EKEYEXPIRED', 'VICETOKENDEAD'],
  ];
  for (const [code, nodeCode, name] of cases) {
    const err = abortToError(code);
    assert.equal(err.code, nodeCode, name);
    assert.equal(err.afsName, name);
    assert.equal(err.afsCode, code);
    assert.equal(typeof err.errno, 'number', `${name} has an errno`);
    assert.ok((err.errno as number) < 0);
  }
});

test('unsigned wire codes are read as signed', () => {
  assert.equal(describeAbort(0xffffffff).name, 'RX_CALL_DEAD');
  assert.equal(describeAbort(0xfffffe39).name, 'RXGEN_OPCODE'); // -455
  assert.equal(abortToError(0xffffff9c).afsCode, -100);
});

test('untranslated server errnos are read as Linux errno, VICE codes win the overlap', () => {
  assert.equal(describeAbort(2).nodeCode, 'ENOENT');
  assert.equal(describeAbort(13).nodeCode, 'EACCES');
  assert.equal(describeAbort(17).nodeCode, 'EEXIST');
  assert.equal(describeAbort(30).nodeCode, 'EROFS');
  assert.equal(describeAbort(39).nodeCode, 'ENOTEMPTY'); // Linux 39, UAE index 38
  assert.equal(describeAbort(95).nodeCode, 'ENOTSUP');
  assert.equal(describeAbort(122).nodeCode, 'EDQUOT');
  assert.equal(describeAbort(133).name, 'EHWPOISON');
  assert.equal(describeAbort(110).name, 'VBUSY'); // not ETIMEDOUT
  assert.equal(describeAbort(120).name, 'VRESTRICTED'); // not EISNAM
  assert.equal(describeAbort(41).name, 'UNKNOWN'); // no Linux errno 41
  assert.equal(describeAbort(134).name, 'UNKNOWN');
  assert.equal(describeAbort(123456).nodeCode, 'EIO');
  assert.equal(abortToError(2, { syscall: 'stat' }).errno, -osConstants.errno.ENOENT);
});

test('every named code in the table has a policy and a Node code with an errno', () => {
  const policies = new Set(['fail', 'next-server', 'refresh-vldb', 'busy', 'downgrade', 'next-address']);
  assert.ok(ABORT_TABLE.size > 250);
  for (const [code, info] of ABORT_TABLE) {
    assert.equal(info.code, code);
    assert.ok(policies.has(info.policy), info.name);
    assert.match(info.nodeCode, /^E[A-Z0-9]+$/, info.name);
    assert.notEqual(new AfsError(info.nodeCode, 'x').errno, undefined, `${info.name} → ${info.nodeCode}`);
  }
  // The name lists are in the order of the tables: spot checks on the far ends.
  assert.equal(abortName(VL_BASE + 31), 'VL_BADMASK');
  assert.equal(abortName(UBIK_BASE + 37), 'UMUTEXDESTROY');
  assert.equal(abortName(RXKAD_BASE + 12), 'RXKADILLEGALLEVEL');
  assert.equal(abortName(PT_BASE + 16), 'PRNOMEM');
  assert.equal(abortName(VOLSER_BASE + 17), 'VOLSERFAILEDOP');
  for (let c = -457; c <= -450; c++) assert.match(abortName(c) ?? '', /^RXGEN_/);
});

test('rotation policy follows protocol.md §12 and kAFS rotation', () => {
  const expect: Array<[number, string]> = [
    [-1, 'next-address'],
    [-3, 'next-server'],
    [-5, 'next-server'],
    [-6, 'fail'],
    [-8, 'busy'],
    [-100, 'busy'],
    [-455, 'downgrade'],
    [-2, 'downgrade'],
    [-451, 'fail'],
    [101, 'next-server'],
    [102, 'fail'],
    [103, 'refresh-vldb'],
    [104, 'next-server'],
    [105, 'next-server'],
    [106, 'next-server'],
    [107, 'next-server'],
    [108, 'fail'],
    [109, 'fail'],
    [110, 'busy'],
    [111, 'refresh-vldb'],
    [112, 'fail'],
    [113, 'busy'],
    [120, 'fail'],
    [1234, 'next-address'],
    [1235, 'fail'],
    [RXKADEXPIRED, 'fail'],
    [VL_NOENT, 'fail'],
    [VL_BASE + 1, 'next-server'], // VL_IO
    [VL_BASE + 22, 'next-server'], // VL_BADVOLOPER
    [VL_BASE + 27, 'next-server'], // VL_NOMEM
    [UBIK_BASE, 'next-server'],
    [UBIK_BASE + 1, 'next-server'],
    [UBIK_BASE + 13, 'next-server'],
    [UAE_BASE + 4, 'fail'],
    [UAE_BASE + 120, 'fail'],
    [UAE_BASE + 27, 'fail'],
    [13, 'fail'],
    [999999, 'fail'],
  ];
  for (const [code, policy] of expect) {
    assert.equal(classifyAbort(code), policy, `${describeAbort(code).name} (${code})`);
  }
  // I/O errors on a clone can be cured by another clone.
  assert.equal(classifyAbort(112, { readOnly: true }), 'next-server');
  assert.equal(classifyAbort(UAE_BASE + 4, { readOnly: true }), 'next-server');
  assert.equal(classifyAbort(108, { readOnly: true }), 'fail');
});

test('classifyFailure handles AfsErrors, abort-carrying objects and local socket errors', () => {
  assert.equal(classifyFailure(abortToError(110)), 'busy');
  assert.equal(abortToError(103).policy, 'refresh-vldb');
  assert.equal(classifyFailure({ code: -455 }), 'downgrade');
  const refused = Object.assign(new Error('connect'), { code: 'ECONNREFUSED' });
  assert.equal(classifyFailure(refused), 'next-address');
  assert.equal(classifyFailure(new AfsError('EHOSTUNREACH', 'unreachable')), 'next-address');
  assert.equal(classifyFailure(new AfsError('ENOENT', 'gone')), 'fail');
  assert.equal(classifyFailure(Object.assign(new Error('x'), { code: 'ECONNRESET' })), 'fail');
  assert.equal(classifyFailure('string'), 'fail');
  assert.equal(classifyFailure(null), 'fail');
});

test('AfsError carries the cause and local errors have no AFS code', () => {
  const cause = new Error('rx');
  const err = abortToError(-3, { cause, path: '/afs/c/x' });
  assert.equal(err.cause, cause);
  assert.match(err.message, /'\/afs\/c\/x'/);
  const local = new AfsError('ENAMETOOLONG', 'too long', { path: 'p' });
  assert.equal(local.afsCode, undefined);
  assert.equal(local.errno, -osConstants.errno.ENAMETOOLONG);
  assert.equal(local.policy, 'fail');
});
