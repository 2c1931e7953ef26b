import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ACL_MAX_LENGTH,
  type Acl,
  AclError,
  effectiveRights,
  formatAcl,
  parseAcl,
  parseRights,
  rightsToString,
  setAclEntry,
} from '../../src/afs/acl.js';

test('rights letters map to the prs_fs.h bits and print in fs listacl order', () => {
  assert.equal(parseRights('r'), 1);
  assert.equal(parseRights('w'), 2);
  assert.equal(parseRights('i'), 4);
  assert.equal(parseRights('l'), 8);
  assert.equal(parseRights('d'), 16);
  assert.equal(parseRights('k'), 32);
  assert.equal(parseRights('a'), 64);
  assert.equal(parseRights('A'), 0x01000000);
  assert.equal(parseRights('H'), 0x80000000);
  assert.equal(parseRights('rlidwka'), 127);
  assert.equal(rightsToString(127), 'rlidwka');
  assert.equal(rightsToString(parseRights('akwdilr')), 'rlidwka');
  assert.equal(rightsToString(parseRights('rlHA')), 'rlAH');
  assert.equal(rightsToString(0), '');
  for (let mask = 0; mask < 128; mask++)
    assert.equal(mask === 0 ? 0 : parseRights(rightsToString(mask)), mask);
});

test('fs setacl shorthands', () => {
  assert.equal(rightsToString(parseRights('read')), 'rl');
  assert.equal(rightsToString(parseRights('write')), 'rlidwk');
  assert.equal(rightsToString(parseRights('mail')), 'lik');
  assert.equal(rightsToString(parseRights('all')), 'rlidwka');
  assert.equal(parseRights('none'), 0);
  assert.throws(
    () => parseRights('rx'),
    (e: unknown) => e instanceof AclError && e.code === 'EINVAL',
  );
  assert.throws(() => parseRights(''), AclError);
});

test('parses FetchACL text as the server writes it (tabs, trailing NUL, signed user bit)', () => {
  const text = '2\n1\nsystem:administrators\t127\nsystem:anyuser\t-2147483640\nbaduser\t2\n\0';
  const acl = parseAcl(Buffer.from(text));
  assert.deepEqual(acl.positive, [
    { name: 'system:administrators', rights: 127 },
    { name: 'system:anyuser', rights: 0x80000008 },
  ]);
  assert.deepEqual(acl.negative, [{ name: 'baduser', rights: 2 }]);
  assert.equal(rightsToString(acl.positive[1]!.rights), 'lH');
  // Spaces are accepted as the separator too.
  assert.deepEqual(parseAcl('1\n0\nalice 9\n').positive, [{ name: 'alice', rights: 9 }]);
  assert.deepEqual(parseAcl('0\n0\n'), { positive: [], negative: [] });
});

test('format round-trips and matches the server form', () => {
  const acl: Acl = {
    positive: [
      { name: 'system:anyuser', rights: parseRights('rl') },
      { name: 'alice', rights: parseRights('rlidwkaH') },
    ],
    negative: [{ name: 'mallory', rights: parseRights('w') }],
  };
  const text = formatAcl(acl);
  assert.equal(text, '2\n1\nsystem:anyuser\t9\nalice\t-2147483521\nmallory\t2\n');
  assert.deepEqual(parseAcl(text), acl);
});

test('malformed ACL text is a typed error', () => {
  const bad = [
    '',
    '1\n0\n',
    '0\n0\nextra\t1\n',
    'x\n0\n',
    '1\n0\nalice\n',
    '1\n0\nalice\tabc\n',
    '1\n0\nalice\t1',
    '1\n0\nal\0ice\t1\n',
    '-1\n0\n',
    '1\n0\nalice\t99999999999\n',
    '1 dfs:0 cell\n0\n',
  ];
  for (const text of bad) {
    assert.throws(() => parseAcl(text), AclError, JSON.stringify(text));
  }
  const tooLong = `1\n0\n${'a'.repeat(ACL_MAX_LENGTH)}\t1\n`;
  assert.throws(
    () => parseAcl(tooLong),
    (e: unknown) => e instanceof AclError && e.problem === 'too-long',
  );
});

test('format enforces the length, entry count, name and rights bounds', () => {
  const many: Acl = { positive: [], negative: [] };
  for (let i = 0; i < 21; i++) many.positive.push({ name: `u${i}`, rights: 1 });
  assert.throws(
    () => formatAcl(many),
    (e: unknown) => e instanceof AclError && e.problem === 'too-many-entries',
  );
  // 20 entries of 60-byte names: about 1300 bytes, over 1024.
  const long: Acl = { positive: [], negative: [] };
  for (let i = 0; i < 20; i++) long.positive.push({ name: `${i}`.padStart(60, 'n'), rights: 127 });
  assert.throws(
    () => formatAcl(long),
    (e: unknown) => e instanceof AclError && e.problem === 'too-long',
  );
  // Exactly at the limit is fine (text + NUL = 1024), one byte more is not.
  const edge = (lastLength: number): Acl => {
    const positive = [];
    for (let i = 0; i < 15; i++) positive.push({ name: `${i}`.padEnd(63, 'e'), rights: 1 });
    positive.push({ name: 'z'.repeat(lastLength), rights: 1 });
    return { positive, negative: [] };
  };
  assert.equal(formatAcl(edge(25)).length + 1, ACL_MAX_LENGTH);
  assert.throws(
    () => formatAcl(edge(26)),
    (e: unknown) => e instanceof AclError && e.problem === 'too-long',
  );
  for (const name of ['with space', '', 'a'.repeat(64), 'tab\there']) {
    assert.throws(() => formatAcl({ positive: [{ name, rights: 1 }], negative: [] }), AclError);
  }
  assert.throws(() => formatAcl({ positive: [{ name: 'u', rights: 0x100 }], negative: [] }), AclError);
  assert.throws(() => formatAcl({ positive: [{ name: 'u', rights: -1 }], negative: [] }), AclError);
});

test('setAclEntry behaves like fs setacl (replace, none removes, negative list)', () => {
  let acl = parseAcl('1\n0\nsystem:anyuser\t9\n');
  acl = setAclEntry(acl, 'alice', 'write');
  acl = setAclEntry(acl, 'system:anyuser', 'read');
  assert.deepEqual(acl.positive, [
    { name: 'system:anyuser', rights: 9 },
    { name: 'alice', rights: parseRights('write') },
  ]);
  acl = setAclEntry(acl, 'system:anyuser', 'none');
  assert.deepEqual(
    acl.positive.map((e) => e.name),
    ['alice'],
  );
  acl = setAclEntry(acl, 'alice', 'd', { negative: true });
  assert.equal(rightsToString(effectiveRights(acl, ['alice'])), 'rliwk');
  acl = setAclEntry(acl, 'alice', 0);
  assert.equal(effectiveRights(acl, ['alice']), 0);
  assert.equal(formatAcl(acl), '0\n1\nalice\t16\n');
  assert.throws(() => setAclEntry(acl, 'bad name', 'r'), AclError);
});
